"""The farm dashboard through the SOAP adapter against the live simulator, counted by it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.adapter import SoapCisAdapter
from adapters.cis_soap.simulator.demo import FARM_EMAIL
from tests.simulator_process import RunningSimulator, SimulatorControl

from .harness import Gateway, make_gateway
from .test_dashboard import DASHBOARD


@pytest.fixture
async def soap_gateway(
    schema: strawberry.Schema,
    simulator: RunningSimulator,
    users: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Gateway]:
    adapter = SoapCisAdapter.create(simulator.adapter_settings())
    yield make_gateway(schema, adapter, users)
    await adapter.aclose()


async def test_the_dashboard_makes_at_most_one_soap_call_per_operation(
    soap_gateway: Gateway, simulator_control: SimulatorControl
) -> None:
    simulator_control.set(reset_stats=True)
    result = await soap_gateway.run(DASHBOARD, as_user=FARM_EMAIL)

    assert result.errors is None
    assert result.data is not None
    assert len(result.data["viewer"]["accounts"]) == 60
    calls = {name: op["calls"] for name, op in simulator_control.stats()["operations"].items()}
    assert calls == {
        "GetAccountsByAccountNumbers": 1,
        "GetCustomersByCustomerIDs": 1,
        "GetServiceLocationsByAccountNumbers": 1,
        "GetMetersByMeterNumbers": 1,
        "GetOutageStatusByServiceLocationIDs": 1,
        "GetBillingDetailsByAccountNumbers": 1,
    }
