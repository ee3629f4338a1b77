"""Changing the password and the security pass phrase, and resetting a forgotten password.

A reset takes an e-mailed one-time token (30 minutes, single use) and, when the member set
one, their pass phrase. Changing the password logs out the member's other sessions; a reset
logs out all of them. The member is e-mailed after either.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.audit import AuditKind, Origin, record
from gateway.auth.password_policy import WeakPassword, check_new_password
from gateway.auth.passwords import hash_password, verify_password
from gateway.auth.sessions import Principal, revoke_sessions
from gateway.auth.tokens import ONE_TIME_PREFIX, new_token, token_hash, well_formed
from gateway.auth.users import normalize_email
from gateway.context import Services
from gateway.outbox import Letter
from gateway.store.models import OneTimePurpose, OneTimeToken, User

RESET_LIFETIME = timedelta(minutes=30)
PASS_PHRASE_MIN_LENGTH = 8
PASS_PHRASE_MAX_LENGTH = 200

logger = logging.getLogger(__name__)


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
    user = await user_with_password(services, principal, current_password)
    check_new_password(new_password, email=user.email, old_password=current_password)
    new_hash = await hash_password(new_password)
    async with services.db.begin() as session:
        await _set_password(session, user, new_hash)
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
    user = await user_with_password(services, principal, current_password)
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
        token = await issue_one_time_token(
            session, user, OneTimePurpose.PASSWORD_RESET, RESET_LIFETIME, now
        )
    cooperative = services.cooperative
    values = {
        "cooperative": cooperative.name,
        "token": token,
        "minutes": str(int(RESET_LIFETIME.total_seconds() // 60)),
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
        found = await _live_token(session, services, token, OneTimePurpose.PASSWORD_RESET, now)
        user = None if found is None else await session.get(User, found.user_id)
    phrase_hash = None if user is None else user.pass_phrase_hash
    # Checked even without a stored phrase (against a dummy), so timing tells nothing.
    phrase_matches = await verify_password(phrase_hash, normalize_pass_phrase(pass_phrase or ""))
    if found is None or user is None or (phrase_hash is not None and not phrase_matches):
        async with services.db.begin() as session:
            detail = "bad token" if user is None else "wrong pass phrase"
            user_id = None if user is None else user.id
            record(
                session,
                services.cooperative.id,
                AuditKind.PASSWORD_RESET_REFUSED,
                origin,
                at=now,
                user_id=user_id,
                detail=detail,
            )
        raise CredentialRefused("the reset code or pass phrase is wrong, used or expired")
    check_new_password(new_password, email=user.email)
    new_hash = await hash_password(new_password)
    async with services.db.begin() as session:
        used = await session.scalar(
            update(OneTimeToken)
            .where(OneTimeToken.id == found.id, OneTimeToken.used_at.is_(None))
            .values(used_at=now)
            .returning(OneTimeToken.id)
        )
        if used is None:  # a concurrent reset took it first
            raise CredentialRefused("the reset code or pass phrase is wrong, used or expired")
        await _set_password(session, user, new_hash)
        await session.execute(
            update(User).where(User.id == user.id).values(locked_until=None, failed_logins=0)
        )
        await revoke_sessions(session, user.id, now)
        record(
            session, user.cooperative_id, AuditKind.PASSWORD_RESET, origin, at=now, user_id=user.id
        )
    _tell_password_changed(services, user, now)


async def issue_one_time_token(
    session: AsyncSession,
    user: User,
    purpose: OneTimePurpose,
    lifetime: timedelta,
    now: datetime,
    new_email: str | None = None,
) -> str:
    """A new e-mailed token for ``user``; earlier unused ones of the purpose stop working."""
    await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = new_token(ONE_TIME_PREFIX)
    session.add(
        OneTimeToken(
            user_id=user.id,
            cooperative_id=user.cooperative_id,
            purpose=purpose,
            token_hash=token_hash(token),
            new_email=new_email,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


async def _live_token(
    session: AsyncSession, services: Services, token: str, purpose: OneTimePurpose, now: datetime
) -> OneTimeToken | None:
    if not well_formed(token.strip(), ONE_TIME_PREFIX):
        return None
    found: OneTimeToken | None = await session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == token_hash(token.strip()),
            OneTimeToken.cooperative_id == services.cooperative.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > now,
        )
    )
    return found


async def stored_user(services: Services, principal: Principal) -> User:
    async with services.db() as session:
        user = await session.get(User, principal.user_id)
    if user is None:
        raise CredentialRefused("this login no longer exists")
    return user


async def user_with_password(
    services: Services, principal: Principal, current_password: str
) -> User:
    """The principal's user, when ``current_password`` is theirs: credentials change only
    for someone who knows it, not for anyone who finds an open session."""
    user = await stored_user(services, principal)
    if not await verify_password(user.password_hash, current_password):
        raise CredentialRefused("the current password is wrong")
    return user


async def _set_password(session: AsyncSession, user: User, new_hash: str) -> None:
    await session.execute(
        update(User)
        .where(User.id == user.id)
        .values(
            password_hash=new_hash, must_change_password=False, temporary_password_expires_at=None
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
