from __future__ import annotations

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from schema.root import build_schema
from tests.resolvers.conftest import counting, simulated
from tests.resolvers.counting import CountingCis

from .harness import Gateway, make_gateway

__all__ = ["counting", "simulated"]  # fixtures of the resolvers' tests, used here too


@pytest.fixture(scope="session")
def schema() -> strawberry.Schema:
    return build_schema()


@pytest.fixture
def users(
    sessions: async_sessionmaker[AsyncSession], demo_users: None
) -> async_sessionmaker[AsyncSession]:
    """The database with the demo members, a staff user and a member without accounts."""
    return sessions


@pytest.fixture
def gateway(
    schema: strawberry.Schema, counting: CountingCis, users: async_sessionmaker[AsyncSession]
) -> Gateway:
    return make_gateway(schema, counting.as_adapter(), users)
