"""Creating users: members with the CIS accounts they may see, and staff."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.passwords import hash_password
from gateway.store.models import Role, User, UserAccount

logger = logging.getLogger(__name__)


class UserExists(ValueError):
    """The co-op already has a user with this e-mail address."""


def normalize_email(email: str) -> str:
    """Addresses are kept and compared lowercased: ``Farm@Example.COOP`` is farm@example.coop."""
    return email.strip().lower()


async def create_user(
    db: async_sessionmaker[AsyncSession],
    cooperative_id: str,
    email: str,
    password: str,
    role: Role,
    account_numbers: Iterable[str] = (),
    *,
    must_change_password: bool = False,
    temporary_password_expires_at: datetime | None = None,
) -> int:
    """Creates a user of the co-op and returns its id; raises `UserExists`, or ValueError for an
    address without ``@`` or an empty password.

    A temporary ``password`` (new staff) comes with ``must_change_password`` and the instant
    its first login must happen before."""
    email = normalize_email(email)
    if "@" not in email.strip("@"):
        raise ValueError("not an e-mail address")
    if not password:
        raise ValueError("the password is empty")
    user = User(
        cooperative_id=cooperative_id,
        email=email,
        password_hash=await hash_password(password),
        role=role,
        must_change_password=must_change_password,
        temporary_password_expires_at=temporary_password_expires_at,
        accounts=[UserAccount(account_number=number) for number in sorted(set(account_numbers))],
    )
    try:
        async with db.begin() as session:
            session.add(user)
    except IntegrityError:
        # "from None": the constraint violated is all the database error says that matters.
        raise UserExists(f"{email} already has a login at co-op {cooperative_id}") from None
    logger.info("created %s user %d at co-op %s", role.value, user.id, cooperative_id)
    return user.id
