from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.backend import SimulatedCis
from schema import build_schema
from tests.gateway.conftest import database_url, engine, sessions
from tests.resolvers.counting import CountingCis
from tests.simulator_process import SIMULATOR_MEMBERS, SIMULATOR_SEED

from .harness import Gateway, create_demo_users, demo_cooperative, make_gateway

__all__ = ["database_url", "engine", "sessions"]


@pytest.fixture(scope="session")
def schema() -> strawberry.Schema:
    return build_schema()


@pytest.fixture
async def simulated(tmp_path: Path) -> AsyncIterator[SimulatedCis]:
    cis = SimulatedCis(
        seed=SIMULATOR_SEED, members=SIMULATOR_MEMBERS, database_path=tmp_path / "cis.sqlite3"
    )
    yield cis
    await cis.aclose()


@pytest.fixture
def counting(simulated: SimulatedCis) -> CountingCis:
    return CountingCis(simulated)


@pytest.fixture
async def users(sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """The database with the demo members, a staff user and a member without accounts."""
    await create_demo_users(sessions, demo_cooperative().id)
    return sessions


@pytest.fixture
def gateway(
    schema: strawberry.Schema, counting: CountingCis, users: async_sessionmaker[AsyncSession]
) -> Gateway:
    return make_gateway(schema, counting.as_adapter(), users)
