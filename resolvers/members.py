"""Staff look-ups of a member by e-mail: the login and the accounts linked to it."""

from __future__ import annotations

from sqlalchemy import select

from gateway.auth.users import normalize_email
from gateway.context import RequestContext
from gateway.store.models import User, UserAccount


async def linked_accounts(context: RequestContext, email: str) -> frozenset[str] | None:
    """The account numbers of the co-op's user with this e-mail; None when there is none."""
    cooperative_id = context.cooperative.id
    async with context.services.db() as session:
        user_id = await session.scalar(
            select(User.id).where(
                User.cooperative_id == cooperative_id, User.email == normalize_email(email)
            )
        )
        if user_id is None:
            return None
        numbers = await session.scalars(
            select(UserAccount.account_number).where(
                UserAccount.user_id == user_id, UserAccount.cooperative_id == cooperative_id
            )
        )
        return frozenset(numbers)
