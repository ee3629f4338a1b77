"""Changing the password and the security pass phrase, and resetting a forgotten password.

A reset takes an e-mailed one-time token (30 minutes, single use) and, when the member set
one, their pass phrase. Changing the password logs out the member's other sessions; a reset
logs out all of them. The member is e-mailed after either.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth import one_time_tokens
from gateway.auth.access_tokens import revoke_access_tokens
from gateway.auth.audit import AuditKind, Origin, record
from gateway.auth.lockout import is_locked, record_failure
from gateway.auth.password_policy import WeakPassword, check_new_password
from gateway.auth.passwords import hash_password, verify_password
from gateway.auth.sessions import Principal, revoke_sessions
from gateway.auth.users import normalize_email
from gateway.context import Services
from gateway.durations import minutes
from gateway.outbox import Letter
from gateway.store.models import OneTimePurpose, User

RESET_LIFETIME = timedelta(minutes=30)
PASS_PHRASE_MIN_LENGTH = 8
PASS_PHRASE_MAX_LENGTH = 200


class CredentialRefused(ValueError):
    """The request's current password, pass phrase or token is wrong; the message is generic."""


def normalize_pass_phrase(text: str) -> str:
    """Typed loosely: case and runs of spaces aside, as members remember a phrase."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


async def change_password(
    services: Services,
    principal: Principal,
    current_password: str,
    new_password: str,
    origin: Origin,
    now: datetime,
) -> None:
    """Raises `CredentialRefused` for a wrong current password, `WeakPassword` for a new
    one the policy refuses."""
    user = await user_with_password(services, principal, current_password, origin, now)
    check_new_password(new_password, email=user.email, old_password=current_password)
    new_hash = await hash_password(new_password)
    async with services.db.begin() as session:
        await _set_password(session, user, new_hash, now)
        # Anyone who had the old password loses their sessions; this one stays.
        await revoke_sessions(session, user.id, now, keep=principal.session_id)
        record(
            session,
            user.cooperative_id,
            AuditKind.PASSWORD_CHANGED,
            origin,
            at=now,
            user_id=user.id,
        )
    _tell_password_changed(services, user, now)


async def set_pass_phrase(
    services: Services,
    principal: Principal,
    current_password: str,
    pass_phrase: str,
    origin: Origin,
    now: datetime,
) -> None:
    user = await user_with_password(services, principal, current_password, origin, now)
    phrase = normalize_pass_phrase(pass_phrase)
    if not PASS_PHRASE_MIN_LENGTH <= len(phrase) <= PASS_PHRASE_MAX_LENGTH:
        raise WeakPassword(
            f"a pass phrase needs {PASS_PHRASE_MIN_LENGTH} to {PASS_PHRASE_MAX_LENGTH} characters"
        )
    if phrase == normalize_pass_phrase(current_password):
        raise WeakPassword("the pass phrase must differ from the password")
    phrase_hash = await hash_password(phrase)
    async with services.db.begin() as session:
        await session.execute(
            update(User).where(User.id == user.id).values(pass_phrase_hash=phrase_hash)
        )
        record(
            session,
            user.cooperative_id,
            AuditKind.PASS_PHRASE_CHANGED,
            origin,
            at=now,
            user_id=user.id,
        )


async def request_password_reset(
    services: Services, email: str, origin: Origin, now: datetime
) -> None:
    """E-mails a reset token when the address has a login. The token is made after the
    answer, in the background, so known and unknown addresses answer alike."""
    cooperative_id = services.cooperative.id
    async with services.db.begin() as session:
        user = await session.scalar(
            select(User).where(
                User.cooperative_id == cooperative_id, User.email == normalize_email(email)
            )
        )
        record(
            session,
            cooperative_id,
            AuditKind.PASSWORD_RESET_REQUESTED,
            origin,
            at=now,
            user_id=None if user is None else user.id,
            detail=None if user is not None else "no such login",
        )
    if user is not None:
        services.outbox.post_after(_reset_letter(services, user, now))


async def _reset_letter(services: Services, user: User, now: datetime) -> Letter:
    async with services.db.begin() as session:
        token = await one_time_tokens.issue(
            session, user, OneTimePurpose.PASSWORD_RESET, RESET_LIFETIME, now
        )
    cooperative = services.cooperative
    values = {
        "cooperative": cooperative.name,
        "token": token,
        "minutes": minutes(RESET_LIFETIME),
        "portal_url": cooperative.portal_url,
    }
    return Letter("password-reset", user.email, values)


async def reset_password(
    services: Services,
    token: str,
    pass_phrase: str | None,
    new_password: str,
    origin: Origin,
    now: datetime,
) -> None:
    """Raises `CredentialRefused` (token unknown, used or expired, or the pass phrase wrong)
    or `WeakPassword`."""
    async with services.db() as session:
        found = await one_time_tokens.find_live(
            session, services.cooperative.id, token, OneTimePurpose.PASSWORD_RESET, now
        )
        user = None if found is None else await session.get(User, found.user_id)
    phrase_hash = None if user is None else user.pass_phrase_hash
    # Checked even without a stored phrase (against a dummy), so timing tells nothing.
    phrase_matches = await verify_password(phrase_hash, normalize_pass_phrase(pass_phrase or ""))
    if found is None or user is None or (phrase_hash is not None and not phrase_matches):
        async with services.db.begin() as session:
            if found is not None:
                # One guess of the pass phrase per code: whoever reads the member's mail
                # cannot try phrase after phrase.
                await one_time_tokens.take(session, found.id, now)
            record(
                session,
                services.cooperative.id,
                AuditKind.PASSWORD_RESET_REFUSED,
                origin,
                at=now,
                user_id=None if user is None else user.id,
                detail="bad code" if user is None else "wrong pass phrase",
            )
        raise CredentialRefused("the reset code or pass phrase is wrong, used or expired")
    check_new_password(new_password, email=user.email)
    new_hash = await hash_password(new_password)
    async with services.db.begin() as session:
        if not await one_time_tokens.take(session, found.id, now):  # a concurrent reset
            raise CredentialRefused("the reset code or pass phrase is wrong, used or expired")
        await _set_password(session, user, new_hash, now)
        # Whoever had the password may have made sessions and tokens: none survive.
        await revoke_sessions(session, user.id, now)
        await revoke_access_tokens(session, user.id, now)
        record(
            session, user.cooperative_id, AuditKind.PASSWORD_RESET, origin, at=now, user_id=user.id
        )
    _tell_password_changed(services, user, now)


async def stored_user(services: Services, principal: Principal) -> User:
    async with services.db() as session:
        user = await session.get(User, principal.user_id)
    if user is None:
        raise CredentialRefused("this login no longer exists")
    return user


async def user_with_password(
    services: Services,
    principal: Principal,
    current_password: str,
    origin: Origin,
    now: datetime,
) -> User:
    """The principal's user, when ``current_password`` is theirs: credentials change only
    for someone who knows it, not for anyone who finds an open session. A wrong one counts
    toward the lockout, as at login, and a locked login changes nothing."""
    user = await stored_user(services, principal)
    matches = await verify_password(user.password_hash, current_password)
    if not matches or is_locked(user, now):
        reason = "locked" if matches else "wrong current password"
        await record_failure(services, user, origin, now, reason)
        raise CredentialRefused("the current password is wrong, or the login is locked for a while")
    return user


async def _set_password(session: AsyncSession, user: User, new_hash: str, now: datetime) -> None:
    # A reset code asked for before the change must not undo it.
    await one_time_tokens.retire(session, user.id, OneTimePurpose.PASSWORD_RESET, now)
    # A new password also ends a lock: who set it knew the old one, or the e-mailed code.
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            password_hash=new_hash,
            must_change_password=False,
            temporary_password_expires_at=None,
            locked_until=None,
            failed_logins=0,
            failed_logins_since=None,
        )
    )


def _tell_password_changed(services: Services, user: User, now: datetime) -> None:
    cooperative = services.cooperative
    services.outbox.post(
        "password-changed",
        user.email,
        {
            "cooperative": cooperative.name,
            "changed_at": cooperative.local_time_text(now),
            "portal_url": cooperative.portal_url,
        },
    )
