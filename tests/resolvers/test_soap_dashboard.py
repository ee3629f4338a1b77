"""The farm dashboard through the SOAP adapter, counted by the simulator itself."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from adapters.cis_soap.adapter import SoapCisAdapter
from resolvers.loaders import CisLoaders
from tests.simulator_process import RunningSimulator, SimulatorControl

from .dashboard import farm_dashboard


async def test_the_farm_dashboard_makes_one_soap_call_per_operation(
    simulator: RunningSimulator, simulator_control: SimulatorControl
) -> None:
    settings = simulator.adapter_settings()
    adapter = SoapCisAdapter.create(settings)
    simulator_control.set(reset_stats=True)
    try:
        today = datetime.now(ZoneInfo("America/Chicago")).date()
        dashboard = await farm_dashboard(CisLoaders(adapter), today)
    finally:
        await adapter.aclose()

    stats = simulator_control.stats()
    assert {name: counted["calls"] for name, counted in stats["operations"].items()} == {
        "GetCustomersByCustomerIDs": 1,
        "GetAccountsByCustomerIDs": 1,
        "GetServiceLocationsByAccountNumbers": 1,
        "GetMetersByMeterNumbers": 1,
        "GetOutageStatusByServiceLocationIDs": 1,
        "GetBillingDetailsByAccountNumbers": 1,
    }
    assert len(dashboard.accounts) == 60
    assert all(view.locations and view.last_bills for view in dashboard.accounts)
