"""The GraphQL read path through the real app over HTTP, against the live CIS simulator:
the farm dashboard's SOAP calls, the demo member's data against the CIS, and who may read
what through every entry point."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.cis_soap.adapter import SoapCisAdapter
from adapters.cis_soap.simulator.demo import (
    DEMO_CABIN_ACCOUNT,
    DEMO_EMAIL,
    DEMO_HOME_ACCOUNT,
    DEMO_HOME_METER,
    FARM_ACCOUNTS,
    FARM_EMAIL,
)
from adapters.records import DateRange, IntervalLength
from gateway.cooperatives import load_cooperative
from gateway.demo import DASHBOARD_QUERY
from schema.node import global_id
from tests.gateway.live_gateway import error_codes, graphql, log_in
from tests.schema.harness import PASSWORD, STAFF_EMAIL, demo_cooperative
from tests.schema.test_accounts import EVERY_FIELD
from tests.simulator_process import SimulatorControl

MONEY = re.compile(r"-?\d+\.\d\d")
FARM_ACCOUNT = FARM_ACCOUNTS[0]
FARM_NAME = "Hansen Farms"  # the farm customer's name in the CIS
TODAY = date.today()
# The latest July 15 that is past: the home's panels send power back on a summer day.
SUMMER_DAY = date(TODAY.year if TODAY.month > 7 else TODAY.year - 1, 7, 15)

pytestmark = pytest.mark.usefixtures("demo_users")


@pytest.fixture
async def cis(coop_files: tuple[Path, ...]) -> AsyncIterator[SoapCisAdapter]:
    """The CIS the gateway reads, read directly."""
    adapter = SoapCisAdapter.create(load_cooperative(coop_files[0]).cis_settings())
    yield adapter
    await adapter.aclose()


async def test_the_farm_dashboard_makes_one_soap_call_per_operation(
    gateway: httpx.AsyncClient, simulator_control: SimulatorControl
) -> None:
    token = await log_in(gateway, FARM_EMAIL, PASSWORD)
    simulator_control.set(reset_stats=True)
    answer = await graphql(gateway, DASHBOARD_QUERY, token=token)

    calls = {name: op["calls"] for name, op in simulator_control.stats()["operations"].items()}
    assert "errors" not in answer, answer["errors"]
    viewer = answer["data"]["viewer"]
    assert viewer["name"] == FARM_NAME
    assert MONEY.fullmatch(viewer["totalDue"])
    accounts = viewer["accounts"]
    assert [account["number"] for account in accounts] == sorted(FARM_ACCOUNTS)
    for account in accounts:
        assert MONEY.fullmatch(account["balance"]["total"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", account["dueDate"])
        assert account["serviceLocations"]
        assert all(place["powerStatus"] for place in account["serviceLocations"])
        assert account["outageStatus"]["powerStatus"] in {"POWER_ON", "POWER_OFF"}
        assert len(account["bills"]["edges"]) == 3
    assert all(count == 1 for count in calls.values()), calls
    assert 0 < len(calls) <= 6, calls


async def account_fields(gateway: httpx.AsyncClient, token: str, number: str) -> dict[str, Any]:
    answer = await graphql(gateway, EVERY_FIELD, {"n": number}, token=token)
    assert "errors" not in answer, answer["errors"]
    account: dict[str, Any] = answer["data"]["viewer"]["account"]
    return account


async def test_every_account_field_agrees_with_the_cis(
    gateway: httpx.AsyncClient, cis: SoapCisAdapter
) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    home = await account_fields(gateway, token, DEMO_HOME_ACCOUNT)
    record = (await cis.get_accounts([DEMO_HOME_ACCOUNT]))[DEMO_HOME_ACCOUNT]
    balance = record.balance
    year = DateRange(TODAY - timedelta(days=366), TODAY)
    bills = (await cis.get_bills([DEMO_HOME_ACCOUNT], year))[DEMO_HOME_ACCOUNT]
    payments = (await cis.get_payments([DEMO_HOME_ACCOUNT], year))[DEMO_HOME_ACCOUNT]
    rate = (await cis.get_rate_schedules([DEMO_HOME_ACCOUNT]))[DEMO_HOME_ACCOUNT]

    assert home["id"] == global_id("Account", DEMO_HOME_ACCOUNT)
    assert home["status"] == record.account_status.name
    assert home["balance"] == {
        "current": f"{balance.current:.2f}",
        "pastDue": f"{balance.past_30 + balance.past_60 + balance.past_90:.2f}",
        "total": f"{balance.total:.2f}",
    }
    assert home["budgetBill"] is record.budget_bill
    assert home["dueDate"] == (record.payment_due_date and record.payment_due_date.isoformat())
    assert Decimal(home["lastPayment"]["amount"]) == record.last_payment_amount
    [meter] = home["serviceLocations"][0]["meters"]
    assert (meter["number"], meter["isNetMetered"]) == (DEMO_HOME_METER, True)
    assert home["rate"]["code"] == rate.rate_code
    assert len(home["rate"]["timeOfUsePeriods"]) == len(rate.time_of_use_periods)
    page = home["bills"]
    assert [edge["node"]["totalDue"] for edge in page["edges"]] == [
        f"{bill.total_due:.2f}" for bill in bills[:2]
    ]
    assert page["pageInfo"]["hasNextPage"] is True
    assert Decimal(home["payments"]["nodes"][0]["amount"]) == payments[0].amount
    assert home["outageStatus"]["powerStatus"] == "POWER_ON"

    cabin = await account_fields(gateway, token, DEMO_CABIN_ACCOUNT)
    assert cabin["isPastDue"] is True
    assert Decimal(cabin["balance"]["pastDue"]) > 0
    assert cabin["outageStatus"]["powerStatus"] == "POWER_OFF"
    assert cabin["outageStatus"]["outage"]["area"]["polygon"]
    assert cabin["serviceLocations"][0]["powerStatus"] == "POWER_OFF"


SUMMER_USAGE = """query($n: String!, $day: Date!) { viewer { account(number: $n) {
  usage(resolution: DAILY, from: $day, to: $day) { start kWhDelivered kWhReceived net } } } }"""


async def test_the_net_metered_home_sends_power_back_on_a_summer_day(
    gateway: httpx.AsyncClient, cis: SoapCisAdapter
) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    variables = {"n": DEMO_HOME_ACCOUNT, "day": SUMMER_DAY.isoformat()}
    answer = await graphql(gateway, SUMMER_USAGE, variables, token=token)
    assert "errors" not in answer, answer["errors"]
    [day] = answer["data"]["viewer"]["account"]["usage"]

    midnight = datetime.combine(SUMMER_DAY, datetime.min.time(), demo_cooperative().time_zone)
    read = await cis.get_usage(
        [DEMO_HOME_METER], midnight, midnight + timedelta(days=1), IntervalLength.DAILY
    )
    [interval] = read[DEMO_HOME_METER]
    assert day["start"] == midnight.isoformat()
    assert Decimal(day["kWhReceived"]) == interval.kwh_received > 0
    assert Decimal(day["kWhDelivered"]) == interval.kwh_delivered


MISSING_ACCOUNT = "90009999"  # no such account in the CIS
MISSING_EMAIL = "nobody@example.coop"
# (query, path of each refused field, their code); $n an account number, $i its global id
REFUSED: list[tuple[str, set[str], str]] = [
    (
        "query($n: String!) { viewer { account(number: $n) { number balance { total } } } }",
        {"viewer.account"},
        "NOT_FOUND",
    ),
    (
        "query($n: String!) { account(number: $n) { number balance { total } } }",
        {"account"},
        "FORBIDDEN",
    ),
    (
        "query($e: String!) { member(email: $e) { name accounts { number } } }",
        {"member"},
        "FORBIDDEN",
    ),
    (
        "query($i: ID!) { node(id: $i) { id ... on Account { number balance { total } } } }",
        {"node"},
        "NOT_FOUND",
    ),
    (
        """query($i: ID!, $n: String!) { viewer { email accounts { number }
             account(number: $n) { bills(first: 3) { nodes { totalDue } } } }
           other: node(id: $i) { ... on Account { serviceLocations { address { line1 } } } } }""",
        {"viewer.account", "other"},
        "NOT_FOUND",
    ),
]


async def post_for(
    gateway: httpx.AsyncClient, query: str, number: str, email: str, token: str | None
) -> httpx.Response:
    variables = {"n": number, "i": global_id("Account", number), "e": email}
    used = {name: value for name, value in variables.items() if f"${name}" in query}
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = await gateway.post(
        "/graphql", json={"query": query, "variables": used}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response


async def test_a_member_reads_no_other_members_account_through_any_entry_point(
    gateway: httpx.AsyncClient,
) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    for query, paths, code in REFUSED:
        farm = await post_for(gateway, query, FARM_ACCOUNT, FARM_EMAIL, token)
        answer = farm.json()
        assert {".".join(map(str, error["path"])) for error in answer["errors"]} == paths
        assert set(error_codes(answer)) == {code}, answer
        assert FARM_ACCOUNT[:6] not in json.dumps(answer["data"])
        assert "Hansen" not in farm.text  # the farm customer's name, anywhere
        # The farm's account answers exactly as one that does not exist: nothing to probe.
        missing = await post_for(gateway, query, MISSING_ACCOUNT, MISSING_EMAIL, token)
        assert farm.text.replace(FARM_ACCOUNT, MISSING_ACCOUNT) == missing.text


async def test_anonymous_requests_read_no_account(gateway: httpx.AsyncClient) -> None:
    for query, paths, _code in REFUSED:
        response = await post_for(gateway, query, FARM_ACCOUNT, FARM_EMAIL, None)
        answer = response.json()
        assert {error["path"][0] for error in answer["errors"]} == {
            path.split(".")[0] for path in paths
        }
        assert set(error_codes(answer)) == {"UNAUTHENTICATED"}, answer
        assert FARM_ACCOUNT[:6] not in response.text


async def test_staff_read_any_members_accounts(gateway: httpx.AsyncClient) -> None:
    token = await log_in(gateway, STAFF_EMAIL, PASSWORD)
    answer = await graphql(
        gateway,
        """query($f: String!, $d: ID!, $e: String!) {
          farm: account(number: $f) { number balance { total } }
          home: node(id: $d) { ... on Account { number isPastDue } }
          member(email: $e) { name accounts { number } }
        }""",
        {"f": FARM_ACCOUNT, "d": global_id("Account", DEMO_HOME_ACCOUNT), "e": DEMO_EMAIL},
        token=token,
    )
    assert "errors" not in answer, answer["errors"]
    data = answer["data"]
    assert data["farm"]["number"] == FARM_ACCOUNT
    assert MONEY.fullmatch(data["farm"]["balance"]["total"])
    assert data["home"] == {"number": DEMO_HOME_ACCOUNT, "isPastDue": False}
    assert data["member"]["name"] == "Dana Rivera"
    assert len(data["member"]["accounts"]) == 3
