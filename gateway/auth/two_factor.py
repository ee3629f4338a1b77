"""Optional two-factor login with an authenticator app (TOTP), and recovery codes.

Enrolment stores a new secret and gives its ``otpauth://`` URI (for a QR code); a first code
from the app confirms it, and only then does login ask for codes. Confirming shows ten
recovery codes once; each replaces a code for one login. Turning it off takes the password
and a code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, update

from gateway.auth import totp
from gateway.auth.audit import AuditKind, Origin, record
from gateway.auth.credentials import CredentialRefused, stored_user, user_with_password
from gateway.auth.sessions import Principal
from gateway.context import Services
from gateway.store.models import RecoveryCode, User


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str = field(repr=False)
    provisioning_uri: str


async def begin_enrolment(
    services: Services, principal: Principal, current_password: str, origin: Origin, now: datetime
) -> Enrolment:
    user = await user_with_password(services, principal, current_password, origin, now)
    if user.totp_confirmed_at is not None:
        raise CredentialRefused("two-factor login is already on: turn it off first")
    secret = totp.new_secret()
    async with services.db.begin() as session:
        await session.execute(
            update(User).where(User.id == user.id).values(totp_secret=secret, totp_last_step=None)
        )
    issuer = services.cooperative.name.replace(":", "")
    return Enrolment(secret, totp.provisioning_uri(secret, user.email, issuer))


async def confirm_enrolment(
    services: Services, principal: Principal, code: str, origin: Origin, now: datetime
) -> list[str]:
    """Turns two-factor login on; the recovery codes, to be shown once."""
    user = await stored_user(services, principal)
    if user.totp_secret is None or user.totp_confirmed_at is not None:
        raise CredentialRefused("start two-factor enrolment first")
    step = totp.accepted_step(user.totp_secret, code, now, None)
    if step is None:
        raise CredentialRefused("that code is wrong: check the app's clock and try the next one")
    codes = totp.new_recovery_codes()
    async with services.db.begin() as session:
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(totp_confirmed_at=now, totp_last_step=step)
        )
        await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        session.add_all(
            RecoveryCode(
                user_id=user.id,
                cooperative_id=user.cooperative_id,
                code_hash=totp.recovery_code_hash(recovery_code),
            )
            for recovery_code in codes
        )
        record(
            session,
            user.cooperative_id,
            AuditKind.TWO_FACTOR_ENABLED,
            origin,
            at=now,
            user_id=user.id,
        )
    return codes


async def disable(
    services: Services,
    principal: Principal,
    current_password: str,
    code: str,
    origin: Origin,
    now: datetime,
) -> None:
    user = await user_with_password(services, principal, current_password, origin, now)
    if user.totp_secret is None or user.totp_confirmed_at is None:
        raise CredentialRefused("two-factor login is not on")
    if totp.accepted_step(user.totp_secret, code, now, user.totp_last_step) is None:
        raise CredentialRefused("that code is wrong")
    async with services.db.begin() as session:
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(totp_secret=None, totp_confirmed_at=None, totp_last_step=None)
        )
        await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        record(
            session,
            user.cooperative_id,
            AuditKind.TWO_FACTOR_DISABLED,
            origin,
            at=now,
            user_id=user.id,
        )
