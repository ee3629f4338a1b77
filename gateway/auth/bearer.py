"""Who a request's bearer token is: a login session (``cgs_``) or a personal access token
(``cgp_``), told apart by prefix."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.access_tokens import authenticate_access_token
from gateway.auth.sessions import Principal, SessionLifetimes, authenticate_session
from gateway.auth.tokens import ACCESS_TOKEN_PREFIX
from gateway.store.models import utc_now


async def authenticate(
    db: async_sessionmaker[AsyncSession],
    cooperative_id: str,
    token: str,
    *,
    lifetimes: SessionLifetimes,
    now: datetime | None = None,
    touch: bool = True,
) -> Principal | None:
    """The principal of a live session or access token of this co-op; None for anything else.
    With ``touch=False`` it only reads: the check is no use of the token, and its
    last_used_at stays as it was."""
    now = utc_now() if now is None else now
    if token.startswith(ACCESS_TOKEN_PREFIX):
        return await authenticate_access_token(db, cooperative_id, token, now, touch=touch)
    return await authenticate_session(
        db, cooperative_id, token, lifetimes=lifetimes, now=now, touch=touch
    )
