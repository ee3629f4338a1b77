"""Logging in with e-mail and password (and a second factor once the member enrolled one).

Five failed attempts for one login within 15 minutes lock it for 15 minutes, and its member
is e-mailed. Every refusal looks the same to the client (no hint whether the address exists,
the password was wrong or the login is locked); only a right password without the second
factor is told that a code is needed. A temporary password (sign-up, new staff) logs in
once, within its 24 hours, into a session that may only change it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth import totp
from gateway.auth.audit import AuditKind, Origin, record
from gateway.auth.passwords import hash_password, needs_rehash, verify_password
from gateway.auth.sessions import IssuedSession, open_session
from gateway.auth.users import normalize_email
from gateway.context import Services
from gateway.store.models import ClientKind, RecoveryCode, User

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)

logger = logging.getLogger(__name__)


class TwoFactorRequired(Exception):
    """The password is right; the login needs the authenticator's code (or a recovery code)."""


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    email: str
    password: str
    one_time_code: str | None = None  # a TOTP code or a recovery code
    client_kind: ClientKind = ClientKind.WEB


async def login(
    services: Services, attempt: LoginAttempt, origin: Origin, now: datetime
) -> IssuedSession | None:
    """Opens a session, or None (the reason is logged and audited, never told); raises
    `TwoFactorRequired` for a right password without a code."""
    cooperative_id = services.cooperative.id
    async with services.db() as session:
        user = await session.scalar(
            select(User).where(
                User.cooperative_id == cooperative_id,
                User.email == normalize_email(attempt.email),
            )
        )
    # The password is checked with no database connection held: it takes tens of ms. An
    # unknown address costs the same check against a dummy hash.
    stored_hash = None if user is None else user.password_hash
    password_matches = await verify_password(stored_hash, attempt.password)
    if user is None:
        await _audit(services, AuditKind.LOGIN_FAILED, origin, now, None, "no such login")
        return None
    refusal = _refusal(user, password_matches, now)
    if refusal is None and user.totp_confirmed_at is not None:
        if attempt.one_time_code is None:
            raise TwoFactorRequired
        refusal = (
            None
            if await _second_factor_passes(services, user, attempt, origin, now)
            else ("wrong second factor")
        )
    if refusal is not None:
        await _failed(services, user, origin, now, refusal, counts=refusal != "locked")
        return None
    new_hash = await hash_password(attempt.password) if needs_rehash(user.password_hash) else None
    async with services.db.begin() as session:
        user = await _locked_row(session, user.id)
        if new_hash is not None:
            user.password_hash = new_hash
        user.failed_logins, user.failed_logins_since = 0, None
        # A temporary password is good for this one login.
        user.temporary_password_expires_at = None
        issued = await open_session(
            session,
            user,
            client_kind=attempt.client_kind,
            user_agent=origin.user_agent,
            lifetimes=services.lifetimes,
            now=now,
        )
        record(session, cooperative_id, AuditKind.LOGIN, origin, at=now, user_id=user.id)
    return issued


def _refusal(user: User, password_matches: bool, now: datetime) -> str | None:
    """Why a login with this password must be refused, for the log; None: it may proceed."""
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    if not password_matches:
        return "wrong password"
    if user.must_change_password:
        expires = user.temporary_password_expires_at
        if expires is None:
            return "temporary password already used"
        if expires <= now:
            return "temporary password expired"
    return None


async def _second_factor_passes(
    services: Services, user: User, attempt: LoginAttempt, origin: Origin, now: datetime
) -> bool:
    code = attempt.one_time_code or ""
    assert user.totp_secret is not None
    step = totp.accepted_step(user.totp_secret, code, now, user.totp_last_step)
    async with services.db.begin() as session:
        if step is not None:
            # Only over the step read: two logins racing with one code cannot both pass.
            moved = await session.scalar(
                update(User)
                .where(User.id == user.id, _same_last_step(user.totp_last_step))
                .values(totp_last_step=step)
                .returning(User.id)
            )
            return moved is not None
        return await _use_recovery_code(session, user, code, origin, now)


def _same_last_step(last_step: int | None) -> ColumnElement[bool]:
    return User.totp_last_step.is_(None) if last_step is None else User.totp_last_step == last_step


async def _use_recovery_code(
    session: AsyncSession, user: User, code: str, origin: Origin, now: datetime
) -> bool:
    used = await session.scalar(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == totp.recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(RecoveryCode.id)
    )
    if used is not None:
        record(
            session,
            user.cooperative_id,
            AuditKind.RECOVERY_CODE_USED,
            origin,
            at=now,
            user_id=user.id,
        )
    return used is not None


async def _failed(
    services: Services, user: User, origin: Origin, now: datetime, reason: str, *, counts: bool
) -> None:
    locked = False
    async with services.db.begin() as session:
        if counts:
            stored = await _locked_row(session, user.id)
            since = stored.failed_logins_since
            if since is None or now - since >= FAILURE_WINDOW:
                stored.failed_logins, stored.failed_logins_since = 0, now
            stored.failed_logins += 1
            if stored.failed_logins >= MAX_FAILURES:
                stored.locked_until = now + LOCKOUT
                stored.failed_logins, stored.failed_logins_since = 0, None
                locked = True
        record(
            session,
            user.cooperative_id,
            AuditKind.LOGIN_FAILED,
            origin,
            at=now,
            user_id=user.id,
            detail=reason,
        )
        if locked:
            record(
                session, user.cooperative_id, AuditKind.LOCKED_OUT, origin, at=now, user_id=user.id
            )
    if locked:
        services.outbox.post(
            "login-locked",
            user.email,
            {
                "cooperative": services.cooperative.name,
                "minutes": str(int(LOCKOUT.total_seconds() // 60)),
                "client_address": origin.client_address or "an unknown address",
            },
        )


async def _locked_row(session: AsyncSession, user_id: int) -> User:
    # FOR UPDATE: concurrent logins of one user count their failures one after the other.
    user = await session.get(User, user_id, with_for_update=True, populate_existing=True)
    if user is None:
        raise LookupError(f"user {user_id} was deleted during its login")
    return user


async def _audit(
    services: Services,
    kind: AuditKind,
    origin: Origin,
    now: datetime,
    user_id: int | None,
    detail: str,
) -> None:
    async with services.db.begin() as session:
        record(
            session, services.cooperative.id, kind, origin, at=now, user_id=user_id, detail=detail
        )
