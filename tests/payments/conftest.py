"""A sandbox processor served on a free port, and a `SandboxProcessor` talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.cis_soap.simulator.demo import DEMO_EMAIL
from gateway.app import create_app as create_gateway_app
from gateway.payments.sandbox.app import create_app, service_of
from gateway.payments.sandbox_client import SandboxProcessor
from gateway.settings import Settings
from tests.cis_soap.local_server import serving
from tests.gateway.live_gateway import log_in
from tests.gateway.mailbox import Mailbox
from tests.payments.paying import SoapService, coop_file
from tests.payments.sandbox import API_KEY, SLOW_SECONDS, RunningSandbox
from tests.schema.harness import PASSWORD
from tests.simulator_process import RunningSimulator, running_simulator


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


# The payment tests' gateway: a CIS simulator of each test's own (payments change its
# balances), the sandbox, a real SMTP server, and the gateway served over HTTP.
@pytest.fixture
def cis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    """A simulator of the test's own: payments move its balances, which other tests read."""
    with running_simulator(tmp_path_factory.mktemp("payments-cis"), seed=7, members=10) as cis:
        yield cis


@pytest.fixture
def settings(
    database_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
    cis: SoapService,
    sandbox: RunningSandbox,
    mail: Mailbox,
) -> Settings:
    return Settings(
        database_url=database_url,
        cooperatives=(coop_file(tmp_path, cis, sandbox),),
        smtp=mail.smtp,
    )


@pytest.fixture
async def http(settings: Settings, demo_users: None) -> AsyncIterator[httpx.AsyncClient]:
    with serving(create_gateway_app(settings), lifespan="on") as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield client


@pytest.fixture
async def member(http: httpx.AsyncClient) -> str:
    return await log_in(http, DEMO_EMAIL, PASSWORD)
