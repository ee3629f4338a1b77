"""Logging in with e-mail and password (and a second factor once the member enrolled one).

Failed attempts count toward the login's lockout (``gateway.auth.lockout``). Every refusal
looks the same to the client (no hint whether the address exists, the password was wrong or
the login is locked); only a right password without the second factor is told that a code
is needed. A temporary password (sign-up, new staff) logs in
once, within its 24 hours, into a session that may only change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth import totp
from gateway.auth.audit import AuditKind, Origin, record
from gateway.auth.lockout import is_locked, not_locked, record_failure
from gateway.auth.passwords import hash_password, needs_rehash, verify_password
from gateway.auth.sessions import IssuedSession, open_session
from gateway.auth.users import normalize_email
from gateway.context import Services
from gateway.store.models import ClientKind, RecoveryCode, User


class TwoFactorRequired(Exception):
    """The password is right; the login needs the authenticator's code (or a recovery code)."""


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    email: str
    password: str = field(repr=False)
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
        async with services.db.begin() as session:
            record(
                session,
                services.cooperative.id,
                AuditKind.LOGIN_FAILED,
                origin,
                at=now,
                detail="no such login",
            )
        return None
    refusal = _refusal(user, password_matches, now)
    if refusal is None and user.totp_confirmed_at is not None:
        if attempt.one_time_code is None:
            raise TwoFactorRequired
        if not await _second_factor_passes(services, user, attempt, origin, now):
            refusal = "wrong second factor"
    if refusal is not None:
        await record_failure(services, user, origin, now, refusal)
        return None
    new_hash = await hash_password(attempt.password) if needs_rehash(user.password_hash) else None
    async with services.db.begin() as session:
        # Only over the row as checked: a lock set, a password changed or a temporary
        # password used by a concurrent request since then refuses this login.
        claimed = await session.scalar(
            update(User)
            .where(
                User.id == user.id,
                User.password_hash == user.password_hash,
                not_locked(now),
                _same_temporary_password(user, now),
            )
            .values(
                password_hash=new_hash or user.password_hash,
                failed_logins=0,
                failed_logins_since=None,
                temporary_password_expires_at=None,  # a temporary password logs in once
            )
            .returning(User.id)
        )
        if claimed is None:
            record(
                session,
                cooperative_id,
                AuditKind.LOGIN_FAILED,
                origin,
                at=now,
                user_id=user.id,
                detail="changed during the login",
            )
            return None
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


def _same_temporary_password(user: User, now: datetime) -> ColumnElement[bool]:
    if user.temporary_password_expires_at is None:
        return User.temporary_password_expires_at.is_(None)
    # Still unused: a login with it sets it to NULL.
    return User.temporary_password_expires_at > now


def _refusal(user: User, password_matches: bool, now: datetime) -> str | None:
    """Why a login with this password must be refused, for the log; None: it may proceed."""
    if is_locked(user, now):
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
