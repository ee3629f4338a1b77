"""Personal access tokens: for a member's own scripts and home-automation tools.

Named, scoped (read-only unless asked otherwise), listed, revocable, and shown once: only
their SHA-256 is stored. A token acts for its member like a session but cannot manage
credentials (passwords, tokens, two-factor): those need a login.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.sessions import LAST_USED_RESOLUTION, Principal, linked_account_numbers
from gateway.auth.tokens import ACCESS_TOKEN_PREFIX, new_token, token_hash, well_formed
from gateway.store.models import AccessToken, Role, TokenScope, User

MAX_NAME_LENGTH = 100  # the column's length
MAX_TOKENS_PER_USER = 50  # live ones; a script per appliance is plenty

logger = logging.getLogger(__name__)


class TooManyTokens(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class CreatedToken:
    token: str = field(repr=False)  # shown once
    info: AccessToken


async def create_access_token(
    session: AsyncSession,
    principal: Principal,
    name: str,
    scope: TokenScope,
    expires_at: datetime | None,
    now: datetime,
) -> CreatedToken:
    """Adds a token for the principal's user to ``session``'s transaction."""
    live = await session.scalar(
        select(func.count()).select_from(AccessToken).where(*_live(principal, now))
    )
    if (live or 0) >= MAX_TOKENS_PER_USER:
        raise TooManyTokens(f"at most {MAX_TOKENS_PER_USER} access tokens: revoke one first")
    token = new_token(ACCESS_TOKEN_PREFIX)
    stored = AccessToken(
        user_id=principal.user_id,
        cooperative_id=principal.cooperative_id,
        name=name,
        token_hash=token_hash(token),
        scope=scope,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(stored)
    await session.flush()
    logger.info("user %d created %s access token %d", principal.user_id, scope.value, stored.id)
    return CreatedToken(token=token, info=stored)


async def live_access_tokens(
    db: async_sessionmaker[AsyncSession], principal: Principal, now: datetime
) -> Sequence[AccessToken]:
    async with db() as session:
        found = await session.scalars(
            select(AccessToken).where(*_live(principal, now)).order_by(AccessToken.id)
        )
        return list(found)


async def revoke_access_token(
    session: AsyncSession, principal: Principal, token_id: int, now: datetime
) -> bool:
    """Revokes one of the principal's own live tokens; False if it has none by that id."""
    revoked = await session.scalar(
        update(AccessToken)
        .where(AccessToken.id == token_id, *_live(principal, now))
        .values(revoked_at=now)
        .returning(AccessToken.id)
    )
    return revoked is not None


async def revoke_access_tokens(session: AsyncSession, user_id: int, now: datetime) -> None:
    """Revokes all the user's tokens (after a password reset)."""
    await session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def authenticate_access_token(
    db: async_sessionmaker[AsyncSession],
    cooperative_id: str,
    token: str,
    now: datetime,
    *,
    touch: bool = True,
) -> Principal | None:
    """Who an access token is: None unless it is a live token of this co-op. With
    ``touch=False`` it only reads, and last_used_at stays as it was."""
    if not well_formed(token, ACCESS_TOKEN_PREFIX):
        return None
    async with db.begin() as session:
        found = (
            await session.execute(
                select(AccessToken, User)
                .join(User, User.id == AccessToken.user_id)
                .where(
                    AccessToken.token_hash == token_hash(token),
                    AccessToken.cooperative_id == cooperative_id,
                    AccessToken.revoked_at.is_(None),
                    (AccessToken.expires_at.is_(None)) | (AccessToken.expires_at > now),
                )
            )
        ).one_or_none()
        if found is None:
            return None
        stored, user = found
        if user.role is Role.STAFF:
            return None  # staff have no access tokens: a token outlives the staff session rules
        if touch and (
            stored.last_used_at is None or now - stored.last_used_at >= LAST_USED_RESOLUTION
        ):
            stored.last_used_at = now
        account_numbers = await linked_account_numbers(session, user.id, cooperative_id)
    return Principal(
        user_id=user.id,
        cooperative_id=cooperative_id,
        email=user.email,
        role=user.role,
        account_numbers=account_numbers,
        session_id=None,
        read_only=stored.scope is TokenScope.READ_ONLY,
        must_change_password=user.must_change_password,
    )


def _live(principal: Principal, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        AccessToken.user_id == principal.user_id,
        AccessToken.cooperative_id == principal.cooperative_id,
        AccessToken.revoked_at.is_(None),
        (AccessToken.expires_at.is_(None)) | (AccessToken.expires_at > now),
    )
