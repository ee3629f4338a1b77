"""Changing a login's e-mail address: the new address must prove it reads its mail first.

The member asks with their current password; a one-time code (30 minutes, single use) goes
to the NEW address, and only that code, entered in the same login, moves the login over.
The old address is then told, so a hijacked session cannot quietly take the login away.
An address that already has a login at the co-op gets no code, but the answer is the same:
nobody learns from it whether someone else uses an address.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.audit import AuditKind, Origin, record
from gateway.auth.credentials import CredentialRefused, issue_one_time_token, user_with_password
from gateway.auth.sessions import Principal
from gateway.auth.tokens import ONE_TIME_PREFIX, token_hash, well_formed
from gateway.auth.users import normalize_email
from gateway.context import Services
from gateway.store.models import OneTimePurpose, OneTimeToken, User

EMAIL_CHANGE_LIFETIME = timedelta(minutes=30)
MAX_EMAIL_LENGTH = 320  # RFC 5321's limit, and the column's length
REFUSED = "the code is wrong, used or expired"

logger = logging.getLogger(__name__)


def checked_email(text: str) -> str:
    """``text`` normalized as logins keep addresses; ValueError when it is not one."""
    email = normalize_email(text)
    if len(email) > MAX_EMAIL_LENGTH:
        raise ValueError(f"an e-mail address has at most {MAX_EMAIL_LENGTH} characters")
    local, at, domain = email.partition("@")
    labels = domain.split(".")
    if (
        not at
        or not local
        or "@" in domain
        or len(labels) < 2
        or not all(labels)
        or any(char.isspace() or not char.isprintable() for char in email)
    ):
        raise ValueError("that is not an e-mail address (name@example.com)")
    return email


async def request_email_change(
    services: Services,
    principal: Principal,
    current_password: str,
    new_email: str,
    origin: Origin,
    now: datetime,
) -> None:
    """E-mails a code to ``new_email`` unless it already has a login; returns alike either way.

    Raises ValueError for an address that is not one, or the login's own, and
    `CredentialRefused` for a wrong current password.
    """
    email = checked_email(new_email)
    user = await user_with_password(services, principal, current_password)
    if email == user.email:
        raise ValueError("that is already the login's e-mail address")
    async with services.db.begin() as session:
        taken = await session.scalar(
            select(User.id).where(User.cooperative_id == user.cooperative_id, User.email == email)
        )
        record(
            session,
            user.cooperative_id,
            AuditKind.EMAIL_CHANGE_REQUESTED,
            origin,
            at=now,
            user_id=user.id,
            detail=None if taken is None else "refused: the new address already has a login",
        )
        if taken is not None:
            return
        token = await issue_one_time_token(
            session, user, OneTimePurpose.EMAIL_CHANGE, EMAIL_CHANGE_LIFETIME, now, new_email=email
        )
    services.outbox.post(
        "verify-email",
        email,
        {
            "cooperative": services.cooperative.name,
            "token": token,
            "minutes": str(int(EMAIL_CHANGE_LIFETIME.total_seconds() // 60)),
        },
    )


async def confirm_email_change(
    services: Services, principal: Principal, token: str, origin: Origin, now: datetime
) -> str:
    """Moves the login to the address the code was sent to, and returns that address.

    Raises `CredentialRefused` for a code that is not the principal's own live one.
    """
    try:
        async with services.db.begin() as session:
            found = await _live_email_token(session, principal, token, now)
            user = None if found is None else await session.get(User, principal.user_id)
            if found is None or found.new_email is None or user is None:
                raise CredentialRefused(REFUSED)
            used = await session.scalar(
                update(OneTimeToken)
                .where(OneTimeToken.id == found.id, OneTimeToken.used_at.is_(None))
                .values(used_at=now)
                .returning(OneTimeToken.id)
            )
            if used is None:  # a concurrent confirmation took it first
                raise CredentialRefused(REFUSED)
            old_email, new_email = user.email, found.new_email
            await session.execute(update(User).where(User.id == user.id).values(email=new_email))
            record(
                session,
                user.cooperative_id,
                AuditKind.EMAIL_CHANGED,
                origin,
                at=now,
                user_id=user.id,
                # For staff tracing a hijacked login; the new address is the login's now.
                detail=f"previous address: {old_email}",
            )
    except IntegrityError:
        # The address got a login of its own since the code was sent. "from None": the
        # database's message lists the statement's parameters.
        logger.info("e-mail change of user %d refused: the address is taken", principal.user_id)
        raise CredentialRefused(REFUSED) from None
    services.outbox.post(
        "email-changed",
        old_email,
        {"cooperative": services.cooperative.name, "new_email": new_email},
    )
    return new_email


async def _live_email_token(
    session: AsyncSession, principal: Principal, token: str, now: datetime
) -> OneTimeToken | None:
    """The principal's own unused, unexpired e-mail change token; another login's is None."""
    token = token.strip()
    if not well_formed(token, ONE_TIME_PREFIX):
        return None
    found: OneTimeToken | None = await session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == token_hash(token),
            OneTimeToken.cooperative_id == principal.cooperative_id,
            OneTimeToken.user_id == principal.user_id,
            OneTimeToken.purpose == OneTimePurpose.EMAIL_CHANGE,
            OneTimeToken.used_at.is_(None),
            OneTimeToken.expires_at > now,
        )
    )
    return found
