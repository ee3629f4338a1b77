"""Staff look-ups of a member by e-mail: the login and the accounts linked to it."""

from __future__ import annotations

from sqlalchemy import select

from gateway.auth.sessions import linked_account_numbers
from gateway.auth.users import normalize_email
from gateway.context import RequestContext
from gateway.store.models import User


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
        return await linked_account_numbers(session, user_id, cooperative_id)
