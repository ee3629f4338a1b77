"""E-mailed single-use tokens (``cgr_``): password resets and new e-mail addresses.

Only a token's SHA-256 is stored. Issuing one retires the user's earlier unused tokens of
the same purpose; `take` marks one used exactly once, even under concurrent requests.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.tokens import ONE_TIME_PREFIX, new_token, token_hash, well_formed
from gateway.store.models import OneTimePurpose, OneTimeToken, User


async def issue(
    session: AsyncSession,
    user: User,
    purpose: OneTimePurpose,
    lifetime: timedelta,
    now: datetime,
    new_email: str | None = None,
) -> str:
    """A new token for ``user``; earlier unused ones of the purpose stop working."""
    await retire(session, user.id, purpose, now)
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


async def find_live(
    session: AsyncSession,
    cooperative_id: str,
    token: str,
    purpose: OneTimePurpose,
    now: datetime,
    *,
    user_id: int | None = None,
) -> OneTimeToken | None:
    """The unused, unexpired token of the co-op (and of ``user_id``, when given)."""
    token = token.strip()
    if not well_formed(token, ONE_TIME_PREFIX):
        return None
    statement = select(OneTimeToken).where(
        OneTimeToken.token_hash == token_hash(token),
        OneTimeToken.cooperative_id == cooperative_id,
        OneTimeToken.purpose == purpose,
        OneTimeToken.used_at.is_(None),
        OneTimeToken.expires_at > now,
    )
    if user_id is not None:
        statement = statement.where(OneTimeToken.user_id == user_id)
    found: OneTimeToken | None = await session.scalar(statement)
    return found


async def take(session: AsyncSession, token_id: int, now: datetime) -> bool:
    """Marks the token used; False when a concurrent request took it first."""
    used = await session.scalar(
        update(OneTimeToken)
        .where(OneTimeToken.id == token_id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
        .returning(OneTimeToken.id)
    )
    return used is not None


async def retire(
    session: AsyncSession, user_id: int, purpose: OneTimePurpose, now: datetime
) -> None:
    """The user's unused tokens of ``purpose`` stop working."""
    await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user_id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
