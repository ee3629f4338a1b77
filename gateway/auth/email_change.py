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

from gateway.auth import one_time_tokens
from gateway.auth.audit import AuditKind, Origin, record
from gateway.auth.credentials import CredentialRefused, user_with_password
from gateway.auth.sessions import Principal
from gateway.auth.users import normalize_email
from gateway.context import Services
from gateway.durations import minutes
from gateway.store.models import OneTimePurpose, User

EMAIL_CHANGE_LIFETIME = timedelta(minutes=30)
MAX_EMAIL_LENGTH = 320  # RFC 5321's limit, and the column's length
REFUSED = "the code is wrong, used or expired"

logger = logging.getLogger(__name__)


class InvalidEmail(ValueError):
    """Not an e-mail address, or not one a login may move to; the message says which."""


def checked_email(text: str) -> str:
    """``text`` normalized as logins keep addresses; `InvalidEmail` when it is not one."""
    email = normalize_email(text)
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(f"an e-mail address has at most {MAX_EMAIL_LENGTH} characters")
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
        raise InvalidEmail("that is not an e-mail address (name@example.com)")
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

    Raises `InvalidEmail` for an address that is not one, or the login's own, and
    `CredentialRefused` for a wrong current password.
    """
    email = checked_email(new_email)
    user = await user_with_password(services, principal, current_password, origin, now)
    if email == user.email:
        raise InvalidEmail("that is already the login's e-mail address")
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
        token = await one_time_tokens.issue(
            session, user, OneTimePurpose.EMAIL_CHANGE, EMAIL_CHANGE_LIFETIME, now, new_email=email
        )
    services.outbox.post(
        "verify-email",
        email,
        {
            "cooperative": services.cooperative.name,
            "token": token,
            "minutes": minutes(EMAIL_CHANGE_LIFETIME),
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
            found = await one_time_tokens.find_live(
                session,
                principal.cooperative_id,
                token,
                OneTimePurpose.EMAIL_CHANGE,
                now,
                user_id=principal.user_id,
            )
            user = None if found is None else await session.get(User, principal.user_id)
            if found is None or found.new_email is None or user is None:
                raise CredentialRefused(REFUSED)
            if not await one_time_tokens.take(session, found.id, now):
                raise CredentialRefused(REFUSED)  # a concurrent confirmation took it first
            old_email, new_email = user.email, found.new_email
            await session.execute(update(User).where(User.id == user.id).values(email=new_email))
            # A reset code sent to the old address must not outlive the move.
            await one_time_tokens.retire(session, user.id, OneTimePurpose.PASSWORD_RESET, now)
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
        # The address got a login of its own since the code was sent.
        logger.info("e-mail change of user %d refused: the address is taken", principal.user_id)
        raise CredentialRefused(REFUSED) from None
    services.outbox.post(
        "email-changed",
        old_email,
        {"cooperative": services.cooperative.name, "new_email": new_email},
    )
    return new_email
