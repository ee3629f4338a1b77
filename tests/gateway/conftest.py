"""Fixtures of the gateway's tests: co-op files on the test simulator, and the live gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.app import create_app
from gateway.settings import Settings
from tests.cis_soap.local_server import serving
from tests.gateway.live_gateway import demo_coop_file, second_coop_file
from tests.simulator_process import RunningSimulator


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
