from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from gateway.store.models import ClientKind, Role, User, UserAccount, UserSession

CHICAGO = ZoneInfo("America/Chicago")
# A hash made once: argon2 is slow on purpose.
PASSWORD_HASH = PasswordHasher().hash("demo-password")

Sessions = async_sessionmaker[AsyncSession]


def member(email: str, cooperative_id: str = "custer-prairie", *accounts: str) -> User:
    user = User(
        cooperative_id=cooperative_id, email=email, password_hash=PASSWORD_HASH, role=Role.MEMBER
    )
    user.accounts = [UserAccount(account_number=number) for number in accounts]
    return user


def login(user: User, expires_at: datetime, kind: ClientKind = ClientKind.WEB) -> UserSession:
    token = secrets.token_urlsafe(32)
    return UserSession(
        user=user,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        client_kind=kind,
        user_agent="pytest",
        expires_at=expires_at,
    )


async def test_a_user_round_trips(sessions: Sessions) -> None:
    # 01:30 on the day Chicago falls back: the offset says which of the two it is.
    created = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=CHICAGO)
    async with sessions.begin() as session:
        user = member("  Farm@Example.COOP ", "custer-prairie", "1000002", "1000001")
        user.created_at = created
        session.add(user)

    async with sessions() as session:
        stored = await session.scalar(
            select(User)
            .where(User.email == "farm@example.coop")
            .options(selectinload(User.accounts))
        )
        assert stored is not None
        assert stored.cooperative_id == "custer-prairie"
        assert stored.role is Role.MEMBER
        assert PasswordHasher().verify(stored.password_hash, "demo-password")
        # Compared in UTC: PEP 495 makes a repeated local time unequal to any other zone's.
        assert stored.created_at == created.astimezone(UTC)
        assert stored.created_at.isoformat() == "2024-11-03T07:30:00+00:00"
        assert [(a.account_number, a.cooperative_id) for a in stored.accounts] == [
            ("1000001", "custer-prairie"),
            ("1000002", "custer-prairie"),
        ]


async def test_sessions_compare_instants_in_sql(sessions: Sessions) -> None:
    now = datetime(2025, 3, 9, 12, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        user = member("demo@example.coop")
        for hours in (-2, 1, 30 * 24):
            session.add(login(user, now + timedelta(hours=hours), ClientKind.MOBILE))

    async with sessions() as session:
        # The same instant in Chicago time must select the same rows.
        local_now = now.astimezone(CHICAGO)
        live = await session.scalars(
            select(UserSession).where(UserSession.expires_at > local_now).order_by("expires_at")
        )
        expiries = [row.expires_at for row in live]
        assert expiries == [now + timedelta(hours=1), now + timedelta(days=30)]
        assert all(expiry.tzinfo is not None for expiry in expiries)
        first = await session.scalar(select(UserSession).limit(1))
        assert first is not None
        assert first.revoked_at is None
        assert first.created_at.tzinfo is not None
        assert first.last_used_at >= first.created_at


async def test_naive_datetimes_are_refused(sessions: Sessions) -> None:
    async with sessions() as session:
        session.add(login(member("demo@example.coop"), datetime(2025, 1, 1, 12, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.commit()


async def test_an_email_is_unique_within_a_coop_only(sessions: Sessions) -> None:
    async with sessions.begin() as session:
        session.add_all(
            [member("demo@example.coop", "custer-prairie"), member("demo@example.coop", "other")]
        )

    async with sessions() as session:
        session.add(member("DEMO@example.coop", "custer-prairie"))
        with pytest.raises(IntegrityError):
            await session.commit()

    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 2


async def test_deleting_a_user_deletes_their_accounts_and_sessions(
    sessions: Sessions, engine: AsyncEngine
) -> None:
    expires = datetime.now(UTC) + timedelta(hours=1)
    async with sessions.begin() as session:
        leaving, staying = member("leaving@example.coop"), member("staying@example.coop")
        leaving.accounts = [UserAccount(account_number="1000001")]
        staying.accounts = [UserAccount(account_number="1000001")]  # a shared account
        session.add_all([login(leaving, expires), login(staying, expires)])

    async with engine.begin() as connection:
        # A plain SQL delete: the database's ON DELETE CASCADE does the work, not the ORM.
        await connection.execute(delete(User).where(User.email == "leaving@example.coop"))

    async with sessions() as session:
        owners = await session.scalars(select(UserAccount.user_id))
        logins = await session.scalars(select(UserSession.user_id))
        assert list(owners) == [staying.id]
        assert list(logins) == [staying.id]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO users (cooperative_id, email, password_hash, role, created_at)"
        " VALUES ('custer-prairie', 'Upper@Example.coop', 'x', 'MEMBER', CURRENT_TIMESTAMP)",
        "INSERT INTO users (cooperative_id, email, password_hash, role, created_at)"
        " VALUES ('custer-prairie', 'admin@example.coop', 'x', 'ADMIN', CURRENT_TIMESTAMP)",
        # An account row must belong to its user's co-op.
        "INSERT INTO user_accounts (user_id, account_number, cooperative_id)"
        " SELECT id, '1000009', 'other' FROM users",
        "INSERT INTO sessions (user_id, cooperative_id, token_hash, client_kind, created_at,"
        " last_used_at, expires_at) SELECT id, cooperative_id, 'ab', 'TV', CURRENT_TIMESTAMP,"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users",
    ],
    ids=["uppercase email", "unknown role", "account of another co-op", "unknown client kind"],
)
async def test_the_database_guards_its_rules(
    sessions: Sessions, engine: AsyncEngine, statement: str
) -> None:
    async with sessions.begin() as session:
        session.add(member("demo@example.coop"))

    async with engine.begin() as connection:
        with pytest.raises(IntegrityError):
            await connection.execute(text(statement))
