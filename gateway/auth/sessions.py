"""Bearer-token sessions: open one after a login, authenticate a request's token, list and
revoke a member's sessions, log out.

Every lookup is within one co-op: a token works only at the co-op that issued it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.tokens import SESSION_PREFIX, new_token, token_hash, well_formed
from gateway.settings import Settings
from gateway.store.models import ClientKind, Role, User, UserAccount, UserSession, utc_now

# last_used_at is written at most this often per session, not on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)
_USER_AGENT_LENGTH = 512  # the column's length

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionLifetimes:
    """How long sessions last at most, by client kind, and how long unused."""

    web: timedelta
    mobile: timedelta
    idle: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionLifetimes:
        return cls(
            web=settings.session_ttl_web,
            mobile=settings.session_ttl_mobile,
            idle=settings.session_idle_timeout,
        )

    def for_client(self, kind: ClientKind) -> timedelta:
        return self.mobile if kind is ClientKind.MOBILE else self.web


@dataclass(frozen=True, slots=True)
class Principal:
    """The user a request acts for, and through which credential."""

    user_id: int
    cooperative_id: str
    email: str
    role: Role
    account_numbers: frozenset[str]  # the CIS accounts linked to the user
    session_id: int | None  # the login session; None for a personal access token
    read_only: bool = False  # a read-only access token: queries only
    must_change_password: bool = False  # logged in with a temporary password
    client_kind: ClientKind = ClientKind.WEB  # the session's; an access token counts as web

    def may_read_account(self, account_number: str) -> bool:
        """Members read their own accounts; staff any account of their co-op."""
        return self.role is Role.STAFF or account_number in self.account_numbers


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new login: the bearer token (shown to the client once, never stored) and who it is."""

    token: str = field(repr=False)
    expires_at: datetime
    principal: Principal


async def open_session(
    session: AsyncSession,
    user: User,
    *,
    client_kind: ClientKind,
    user_agent: str | None,
    lifetimes: SessionLifetimes,
    now: datetime,
) -> IssuedSession:
    """Adds a session for ``user`` to the transaction of ``session``."""
    token = new_token(SESSION_PREFIX)
    expires_at = now + lifetimes.for_client(client_kind)
    stored = UserSession(
        user_id=user.id,
        cooperative_id=user.cooperative_id,
        token_hash=token_hash(token),
        client_kind=client_kind,
        user_agent=None if user_agent is None else user_agent[:_USER_AGENT_LENGTH],
        created_at=now,
        last_used_at=now,
        expires_at=expires_at,
    )
    session.add(stored)
    await session.flush()  # gives the row its id
    principal = Principal(
        user_id=user.id,
        cooperative_id=user.cooperative_id,
        email=user.email,
        role=user.role,
        session_id=stored.id,
        account_numbers=await linked_account_numbers(session, user.id, user.cooperative_id),
        must_change_password=user.must_change_password,
        client_kind=client_kind,
    )
    logger.info(
        "user %d: %s session %d opened at co-op %s",
        user.id,
        client_kind.value,
        stored.id,
        user.cooperative_id,
    )
    return IssuedSession(token=token, expires_at=expires_at, principal=principal)


async def authenticate_session(
    db: async_sessionmaker[AsyncSession],
    cooperative_id: str,
    token: str,
    *,
    lifetimes: SessionLifetimes,
    now: datetime,
    touch: bool = True,
) -> Principal | None:
    """Who a session token is: None unless it is a live session of this co-op (not logged
    out, not past its expiry, used within the idle timeout). With ``touch=False`` it only
    reads: the check is no use of the session, and last_used_at (which the idle timeout
    runs from) stays as it was."""
    if not well_formed(token, SESSION_PREFIX):
        return None
    async with db.begin() as session:
        found = (
            await session.execute(
                select(
                    UserSession.id,
                    UserSession.last_used_at,
                    UserSession.client_kind,
                    User.id,
                    User.email,
                    User.role,
                    User.must_change_password,
                )
                .join(UserSession.user)
                .where(
                    UserSession.token_hash == token_hash(token),
                    UserSession.cooperative_id == cooperative_id,
                    UserSession.revoked_at.is_(None),
                    UserSession.expires_at > now,
                    UserSession.last_used_at > now - lifetimes.idle,
                )
            )
        ).one_or_none()
        if found is None:
            return None
        session_id, last_used_at, client_kind, user_id, email, role, must_change = found
        if touch and now - last_used_at >= LAST_USED_RESOLUTION:
            await session.execute(
                update(UserSession).where(UserSession.id == session_id).values(last_used_at=now)
            )
        account_numbers = await linked_account_numbers(session, user_id, cooperative_id)
    return Principal(
        user_id=user_id,
        cooperative_id=cooperative_id,
        email=email,
        role=role,
        session_id=session_id,
        account_numbers=account_numbers,
        must_change_password=must_change,
        client_kind=client_kind,
    )


async def logout(
    db: async_sessionmaker[AsyncSession], token: str, *, now: datetime | None = None
) -> bool:
    """Revokes the token's session; False when it names no session that was still open."""
    if not well_formed(token, SESSION_PREFIX):
        return False
    async with db.begin() as session:
        revoked = await session.scalar(
            update(UserSession)
            .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utc_now() if now is None else now)
            .returning(UserSession.id)
        )
    if revoked is not None:
        logger.info("session %d logged out", revoked)
    return revoked is not None


async def live_sessions(
    db: async_sessionmaker[AsyncSession],
    principal: Principal,
    lifetimes: SessionLifetimes,
    now: datetime,
) -> Sequence[UserSession]:
    """The user's sessions that still work, most recently used first."""
    async with db() as session:
        rows = await session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == principal.user_id,
                UserSession.cooperative_id == principal.cooperative_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > now,
                UserSession.last_used_at > now - lifetimes.idle,
            )
            .order_by(UserSession.last_used_at.desc(), UserSession.id.desc())
        )
        return list(rows)


async def revoke_sessions(
    session: AsyncSession,
    user_id: int,
    now: datetime,
    *,
    only: int | None = None,
    keep: int | None = None,
) -> list[int]:
    """Revokes the user's open sessions (``only`` one of them, or all but ``keep``) in the
    transaction of ``session``; returns the ids revoked."""
    statement = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if only is not None:
        statement = statement.where(UserSession.id == only)
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    revoked = await session.scalars(statement.values(revoked_at=now).returning(UserSession.id))
    return list(revoked)


async def linked_account_numbers(
    session: AsyncSession, user_id: int, cooperative_id: str
) -> frozenset[str]:
    """The CIS accounts linked to a user."""
    numbers = await session.scalars(
        select(UserAccount.account_number).where(
            UserAccount.user_id == user_id, UserAccount.cooperative_id == cooperative_id
        )
    )
    return frozenset(numbers)
