"""What sending needs of members besides their contacts: the login's own e-mail address and
the accounts linked to the login now."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.models import User, UserAccount


async def login_emails(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str]:
    """The logins' own addresses: every member's e-mail contact that needs no code."""
    rows = await session.execute(select(User.id, User.email).where(User.id.in_(set(user_ids))))
    return {user_id: email for user_id, email in rows}


async def linked_accounts(
    session: AsyncSession, user_ids: Iterable[int]
) -> dict[int, frozenset[str]]:
    """The accounts each member may see now."""
    rows = await session.execute(
        select(UserAccount.user_id, UserAccount.account_number).where(
            UserAccount.user_id.in_(set(user_ids))
        )
    )
    linked: dict[int, set[str]] = {}
    for user_id, number in rows:
        linked.setdefault(user_id, set()).add(number)
    return {user_id: frozenset(numbers) for user_id, numbers in linked.items()}
