"""Bearer-token sessions: log in with e-mail and password, authenticate a token, log out.

A token is ``cgs_`` and 43 random URL-safe characters (256 bits); the prefix lets secret
scanners recognise a leaked one. Only its SHA-256 is stored, so a copy of the database opens
no session. Every lookup is within one co-op: a token works only at the co-op that issued it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.passwords import hash_password, needs_rehash, verify_password
from gateway.auth.users import normalize_email
from gateway.settings import Settings
from gateway.store.models import ClientKind, Role, User, UserAccount, UserSession, utc_now

TOKEN_PREFIX = "cgs_"  # noqa: S105 - a marker for secret scanners, not a secret
_TOKEN_BYTES = 32
_TOKEN_LENGTH = len(TOKEN_PREFIX) + 43  # token_urlsafe(32) is 43 characters
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
    """The user a request acts for, through which session."""

    user_id: int
    cooperative_id: str
    email: str
    role: Role
    session_id: int
    account_numbers: frozenset[str]  # the CIS accounts linked to the user

    def may_read_account(self, account_number: str) -> bool:
        """Members read their own accounts; staff any account of their co-op."""
        return self.role is Role.STAFF or account_number in self.account_numbers


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new login: the bearer token (shown to the client once, never stored) and who it is."""

    token: str = field(repr=False)
    expires_at: datetime
    principal: Principal


async def login(
    db: async_sessionmaker[AsyncSession],
    cooperative_id: str,
    email: str,
    password: str,
    *,
    client_kind: ClientKind,
    user_agent: str | None,
    lifetimes: SessionLifetimes,
    now: datetime | None = None,
) -> IssuedSession | None:
    """Opens a session for the co-op's user with this e-mail (any case) and password.

    None when they do not match, with no reason given; an unknown address costs the same
    database read and password check as a wrong password.
    """
    now = utc_now() if now is None else now
    async with db() as session:
        user = (
            await session.execute(
                select(User.id, User.email, User.role, User.password_hash).where(
                    User.cooperative_id == cooperative_id, User.email == normalize_email(email)
                )
            )
        ).one_or_none()
    # The password is checked with no database connection held: it takes tens of ms.
    stored_hash = None if user is None else user.password_hash
    if not await verify_password(stored_hash, password) or user is None:
        logger.info("failed login at co-op %s", cooperative_id)
        return None
    new_hash = await hash_password(password) if needs_rehash(user.password_hash) else None
    token = TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
    expires_at = now + lifetimes.for_client(client_kind)
    async with db.begin() as session:
        if new_hash is not None:
            # Only over the hash just checked: a password changed meanwhile stays changed.
            await session.execute(
                update(User)
                .where(User.id == user.id, User.password_hash == user.password_hash)
                .values(password_hash=new_hash)
            )
        stored = UserSession(
            user_id=user.id,
            cooperative_id=cooperative_id,
            token_hash=_token_hash(token),
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
            cooperative_id=cooperative_id,
            email=user.email,
            role=user.role,
            session_id=stored.id,
            account_numbers=await linked_account_numbers(session, user.id, cooperative_id),
        )
    if new_hash is not None:
        logger.info("upgraded the password hash of user %d to current parameters", user.id)
    logger.info(
        "user %d logged in at co-op %s: %s session %d",
        user.id,
        cooperative_id,
        client_kind.value,
        principal.session_id,
    )
    return IssuedSession(token=token, expires_at=expires_at, principal=principal)


async def authenticate(
    db: async_sessionmaker[AsyncSession],
    cooperative_id: str,
    token: str,
    *,
    lifetimes: SessionLifetimes,
    now: datetime | None = None,
) -> Principal | None:
    """Who the bearer token of a request is: None unless it is a live session of this co-op
    (not logged out, not past its expiry, used within the idle timeout)."""
    if not _well_formed(token):
        return None
    now = utc_now() if now is None else now
    async with db.begin() as session:
        found = (
            await session.execute(
                select(UserSession.id, UserSession.last_used_at, User.id, User.email, User.role)
                .join(UserSession.user)
                .where(
                    UserSession.token_hash == _token_hash(token),
                    UserSession.cooperative_id == cooperative_id,
                    UserSession.revoked_at.is_(None),
                    UserSession.expires_at > now,
                    UserSession.last_used_at > now - lifetimes.idle,
                )
            )
        ).one_or_none()
        if found is None:
            return None
        session_id, last_used_at, user_id, email, role = found
        if now - last_used_at >= LAST_USED_RESOLUTION:
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
    )


async def logout(
    db: async_sessionmaker[AsyncSession], token: str, *, now: datetime | None = None
) -> bool:
    """Revokes the token's session; False when it names no session that was still open."""
    if not _well_formed(token):
        return False
    async with db.begin() as session:
        revoked = await session.scalar(
            update(UserSession)
            .where(UserSession.token_hash == _token_hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utc_now() if now is None else now)
            .returning(UserSession.id)
        )
    if revoked is not None:
        logger.info("session %d logged out", revoked)
    return revoked is not None


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


def _well_formed(token: str) -> bool:
    # Anything else cannot have been issued: refused without hashing or a database read.
    return len(token) == _TOKEN_LENGTH and token.startswith(TOKEN_PREFIX)


def _token_hash(token: str) -> str:
    # A plain SHA-256 suffices: the token is 256 random bits, not a guessable password.
    return hashlib.sha256(token.encode()).hexdigest()
