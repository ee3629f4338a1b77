"""Fresh, empty databases for tests: a SQLite file, or a PostgreSQL database of its own.

PostgreSQL runs when ``TEST_DATABASE_URL`` names a server database the user may create
databases from (``postgresql+asyncpg://postgres@127.0.0.1:5432/test``); each test gets a
database of its own, dropped afterwards, so tests neither see nor disturb each other.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

BACKENDS = ("sqlite", "postgresql")
TEST_DATABASE_URL = "TEST_DATABASE_URL"
# For a test (or module: ``pytestmark``) that runs on one backend of the two.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRESQL_ONLY = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def sqlite_url(folder: Path) -> str:
    # A folder that does not exist yet: the gateway creates it.
    return f"sqlite+aiosqlite:///{folder / 'var' / 'coop-gateway.db'}"


@asynccontextmanager
async def fresh_database_url(backend: str, folder: Path) -> AsyncIterator[str]:
    """The URL of an empty database on ``backend``; skips when PostgreSQL is not configured."""
    if backend == "sqlite":
        yield sqlite_url(folder)
        return
    server_url = os.environ.get(TEST_DATABASE_URL)
    if not server_url:
        pytest.skip(f"{TEST_DATABASE_URL} is not set: PostgreSQL tests need a server")
    name = f"coop_gateway_test_{uuid.uuid4().hex[:16]}"
    server = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        async with server.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await server.dispose()


@pytest.fixture
async def sqlite_unless_asked(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A ``database_url`` for a folder of tests that run on SQLite only: the one a test asks
    for (``parametrize("database_url", ..., indirect=True)``), SQLite if it asks nothing."""
    async with fresh_database_url(getattr(request, "param", "sqlite"), tmp_path) as url:
        yield url


async def shut_out(engine: AsyncEngine) -> None:
    """Makes the test's PostgreSQL database refuse every connection, open ones included."""
    name = make_url(engine.url).database
    # From the server's own database: a database cannot shut itself out.
    server = create_async_engine(os.environ[TEST_DATABASE_URL], isolation_level="AUTOCOMMIT")
    try:
        async with server.connect() as connection:
            await connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
                ),
                {"name": name},
            )
    finally:
        await server.dispose()
