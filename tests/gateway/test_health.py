"""The probes over real HTTP: /healthz always, /readyz only with the database and the CIS."""

from __future__ import annotations

import os

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.gateway.databases import TEST_DATABASE_URL
from tests.gateway.live_gateway import SECOND_COOP_ID
from tests.simulator_process import SimulatorControl

ALL_OK = {"database": "ok", "cis:custer-prairie": "ok", f"cis:{SECOND_COOP_ID}": "ok"}


async def test_healthz_says_the_process_answers(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_checks_the_database_and_each_co_op_s_cis(
    gateway: httpx.AsyncClient,
) -> None:
    response = await gateway.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": ALL_OK}


async def test_readyz_is_503_while_the_cis_refuses_connections(
    gateway: httpx.AsyncClient, simulator_control: SimulatorControl
) -> None:
    simulator_control.set(outage="refuse", outage_seconds=3)
    response = await gateway.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {
            "database": "ok",
            "cis:custer-prairie": "unavailable",
            f"cis:{SECOND_COOP_ID}": "unavailable",
        },
    }
    assert "gateway-secret" not in response.text


async def test_readyz_is_503_on_a_database_at_another_schema(
    gateway: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    # As when a newer release has migrated the database under this one.
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'newer'"))
    response = await gateway.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK, "database": "not migrated"}


async def test_readyz_is_503_when_the_database_is_unreachable(
    gateway: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("an SQLite file has no server to lose")
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
    response = await gateway.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK, "database": "unreachable"}
