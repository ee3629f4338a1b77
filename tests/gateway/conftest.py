"""Fixtures of the gateway's tests: databases (SQLite and PostgreSQL) and the live gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.app import create_app
from gateway.settings import Settings
from gateway.store.database import create_engine, session_factory
from gateway.store.migrate import upgrade
from tests.cis_soap.local_server import serving
from tests.gateway.databases import BACKENDS, fresh_database_url
from tests.gateway.live_gateway import demo_coop_file, second_coop_file
from tests.schema.harness import create_demo_users, demo_cooperative
from tests.simulator_process import RunningSimulator


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own for the test."""
    async with fresh_database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database, migrated to the newest schema."""
    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
def coop_files(simulator: RunningSimulator, tmp_path: Path) -> tuple[Path, ...]:
    """The demo co-op (the default) and a second one, both on the test's simulator."""
    return (
        demo_coop_file(tmp_path, simulator.soap_url),
        second_coop_file(tmp_path, simulator.soap_url),
    )


@pytest.fixture
def gateway_settings(
    database_url: str, engine: AsyncEngine, coop_files: tuple[Path, ...]
) -> Settings:
    """Settings of a gateway on the test's migrated database (``engine`` migrated it)."""
    return Settings(database_url=database_url, cooperatives=coop_files)


@pytest.fixture
async def gateway(gateway_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the real gateway, served by uvicorn on a free port."""
    with serving(create_app(gateway_settings), lifespan="on") as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            yield http


@pytest.fixture
async def demo_users(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The demo co-op's logins in the test's database: the demo and farm members, a staff
    user and a member without accounts (``tests.schema.harness``, password ``PASSWORD``)."""
    await create_demo_users(sessions, demo_cooperative().id)
