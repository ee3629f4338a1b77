"""A sandbox processor served on a free port, and a `SandboxProcessor` talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from gateway.payments.sandbox.app import create_app, service_of
from gateway.payments.sandbox.service import SandboxService
from gateway.payments.sandbox_client import SandboxProcessor
from tests.cis_soap.local_server import serving

# The gateway tests' database fixtures (SQLite, and PostgreSQL when TEST_DATABASE_URL is set).
from tests.gateway.conftest import database_url, demo_users, engine, sessions  # noqa: F401

API_KEY = "sk_test_sandbox_key"
SLOW_SECONDS = 0.4


@dataclass(frozen=True)
class RunningSandbox:
    url: str
    app: Starlette

    @property
    def service(self) -> SandboxService:
        return service_of(self.app)

    def client(self, *, api_key: str = API_KEY, timeout: float = 10.0) -> SandboxProcessor:
        return SandboxProcessor(self.url, api_key, timeout)

    async def set_faults(self, **faults: float) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url) as http:
            response = await http.post("/_sandbox/faults", json=faults)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def stats(self) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url) as http:
            stats: dict[str, Any] = (await http.get("/_sandbox/stats")).json()
        return stats


def run_sandbox(database: Path | str = ":memory:") -> Iterator[RunningSandbox]:
    app = create_app(API_KEY, database=database, slow_seconds=SLOW_SECONDS, seed=1)
    try:
        with serving(app) as url:
            yield RunningSandbox(url, app)
    finally:
        service_of(app).ledger.close()


@pytest.fixture
def sandbox() -> Iterator[RunningSandbox]:
    yield from run_sandbox()


@pytest.fixture
async def processor(sandbox: RunningSandbox) -> AsyncIterator[SandboxProcessor]:
    client = sandbox.client()
    yield client
    await client.aclose()
