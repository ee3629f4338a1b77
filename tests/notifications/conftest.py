"""The notification tests' world: the gateway over HTTP on a CIS simulator whose clock the
test knows (served in-process), the sandbox processor, a real SMTP server, and the same
co-op's services in-process for running the worker's jobs at chosen instants."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from adapters.cis_soap.simulator.demo import FARM_EMAIL
from gateway.context import Services
from gateway.cooperatives import load_cooperatives
from gateway.runtime import start_gateway
from gateway.settings import Settings
from tests.gateway.databases import sqlite_unless_asked
from tests.gateway.live_gateway import log_in
from tests.notifications.served_cis import ServedCis, served_cis
from tests.payments import conftest as payment_fixtures
from tests.schema.harness import PASSWORD

# SQLite, unless a test asks for both (``notifying.BOTH_DATABASES``): the flows are the same
# on both, so only the tests of what differs (upserts, leases, the feed cursor) run twice.
database_url = sqlite_unless_asked


# The payment tests' fixtures, over this module's own ``cis``.
sandbox = payment_fixtures.sandbox
processor = payment_fixtures.processor
settings = payment_fixtures.settings
http = payment_fixtures.http
member = payment_fixtures.member


@pytest.fixture
def cis() -> Iterator[ServedCis]:
    with served_cis() as served:
        yield served


@pytest.fixture
async def farmer(http: httpx.AsyncClient) -> str:
    return await log_in(http, FARM_EMAIL, PASSWORD)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    """The co-op's services as the worker has them, for running its jobs in the test."""
    async with start_gateway(settings, load_cooperatives(settings.cooperatives)) as gateway:
        yield gateway.services["custer-prairie"]
