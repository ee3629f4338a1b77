from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from gateway.auth.passwords import verify_password
from gateway.auth.users import UserExists, create_user
from gateway.store.models import Role, User

Database = async_sessionmaker[AsyncSession]


async def test_a_member_is_created_with_the_accounts_they_may_see(sessions: Database) -> None:
    user_id = await create_user(
        sessions,
        "custer-prairie",
        " Farm@Example.COOP ",
        "demo-password",
        Role.MEMBER,
        ["1000002", "1000001", "1000002"],
    )

    async with sessions() as session:
        user = await session.scalar(
            select(User).where(User.id == user_id).options(selectinload(User.accounts))
        )
    assert user is not None
    assert (user.cooperative_id, user.email, user.role) == (
        "custer-prairie",
        "farm@example.coop",
        Role.MEMBER,
    )
    assert [account.account_number for account in user.accounts] == ["1000001", "1000002"]
    assert {account.cooperative_id for account in user.accounts} == {"custer-prairie"}
    assert user.password_hash.startswith("$argon2id$")
    assert await verify_password(user.password_hash, "demo-password")


async def test_an_address_is_one_login_per_co_op(sessions: Database) -> None:
    await create_user(sessions, "custer-prairie", "staff@example.coop", "first-pass", Role.STAFF)

    with pytest.raises(UserExists) as raised:
        await create_user(
            sessions, "custer-prairie", "STAFF@example.coop", "second-pass", Role.MEMBER
        )
    assert str(raised.value) == "staff@example.coop already has a login at co-op custer-prairie"
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__

    # Another co-op may have a user with the same address.
    await create_user(sessions, "big-sky", "staff@example.coop", "third-pass", Role.STAFF)
    async with sessions() as session:
        owners = await session.scalars(
            select(User.cooperative_id).where(User.email == "staff@example.coop")
        )
        assert sorted(owners) == ["big-sky", "custer-prairie"]


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("farm.example.coop", "demo-password", "not an e-mail address"),
        ("@", "demo-password", "not an e-mail address"),
        ("farm@example.coop", "", "the password is empty"),
    ],
)
async def test_an_unusable_address_or_password_is_refused(
    sessions: Database, email: str, password: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await create_user(sessions, "custer-prairie", email, password, Role.MEMBER)
    async with sessions() as session:
        assert await session.scalar(select(User.id)) is None
