"""The probes over real HTTP: /healthz always, /readyz only with the database and the CIS."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.gateway.databases import shut_out
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
    await shut_out(engine)
    response = await gateway.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {**ALL_OK, "database": "unreachable"}
