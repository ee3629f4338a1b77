"""The farm member's dashboard: 60 accounts in at most one CIS call per operation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from adapters.cis_soap.simulator.demo import FARM_ACCOUNTS, FARM_EMAIL
from adapters.records import DateRange

from .harness import Gateway

MONEY = re.compile(r"-?\d+\.\d\d")

DASHBOARD = """
query Dashboard {
  viewer {
    name
    totalDue
    accounts {
      id number dueDate isPastDue
      balance { current pastDue total }
      serviceLocations { id powerStatus address { line1 city } meters { number kind } }
      outageStatus { powerStatus estimatedRestoration }
      bills(first: 3) { nodes { id billDate totalDue } pageInfo { hasNextPage } }
    }
  }
}
"""


async def test_the_farm_dashboard_costs_one_call_per_operation(gateway: Gateway) -> None:
    counting = gateway.services.adapter
    result = await gateway.run(DASHBOARD, as_user=FARM_EMAIL)

    assert result.errors is None
    assert result.data is not None
    viewer = result.data["viewer"]
    assert viewer["name"]
    accounts = viewer["accounts"]
    assert [account["number"] for account in accounts] == sorted(FARM_ACCOUNTS)
    for account in accounts:
        assert MONEY.fullmatch(account["balance"]["total"])
        assert account["serviceLocations"]
        assert all(place["meters"] for place in account["serviceLocations"])
        assert account["outageStatus"]["powerStatus"] in {"POWER_ON", "POWER_OFF"}
        assert len(account["bills"]["nodes"]) == 3
    assert counting.calls == {  # type: ignore[attr-defined]
        "get_accounts": 1,
        "get_customers": 1,
        "get_service_locations": 1,
        "get_meters": 1,
        "get_outage_status": 1,
        "get_bills": 1,
    }
    # The last 3 bills come from the last 180 days, read for every account at once.
    today = datetime.now(gateway.services.cooperative.time_zone).date()
    recent = DateRange(today - timedelta(days=179), today)
    assert counting.parameters["get_bills"] == [{"period": recent}]  # type: ignore[attr-defined]
