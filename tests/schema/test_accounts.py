"""Every Account field for the demo member, checked against what the CIS holds."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import (
    DEMO_CABIN_ACCOUNT,
    DEMO_EMAIL,
    DEMO_HOME_ACCOUNT,
    DEMO_HOME_METER,
)

from .harness import Gateway, codes

MONEY = re.compile(r"-?\d+\.\d\d")

EVERY_FIELD = """
query($n: String!) { viewer { totalDue account(number: $n) {
  id number status amountDue dueDate isPastDue budgetBill isPrePay
  balance { current pastDue total }
  lastPayment { amount date }
  serviceLocations {
    id serviceType revenueClass status powerStatus
    address { line1 line2 city state postalCode }
    geo { latitude longitude }
    meters { number kind isNetMetered multiplier }
    outageStatus { powerStatus estimatedRestoration outage { id status } }
  }
  rate { code name fixedDailyCharge energyChargePerKwh
         timeOfUsePeriods { name startHour endHour weekdaysOnly energyChargePerKwh } }
  outageStatus { powerStatus estimatedRestoration
    outage { id eventId status cause startedAt estimatedRestoration restoredAt
             customersAffected customersRestored crewStatus isPlanned
             area { centroid { latitude longitude } polygon { latitude longitude } } } }
  outageHistory { id startedAt }
  bills(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id billDate periodStart periodEnd dueDate priorBalance
      paymentsApplied totalDue kWhBilled charges { description amount } } } }
  payments(first: 2) { totalCount nodes { id amount tenderType channel postedAt
    externalReference } }
  usage(resolution: DAILY) { start end kWhDelivered kWhReceived net quality estimatedCost }
} } }
"""


async def account_data(gateway: Gateway, number: str) -> dict[str, Any]:
    result = await gateway.run(EVERY_FIELD, as_user=DEMO_EMAIL, n=number)
    assert result.errors is None
    assert result.data is not None
    account: dict[str, Any] = result.data["viewer"]["account"]
    return account


async def test_every_account_field_matches_the_cis(
    gateway: Gateway, simulated: SimulatedCis
) -> None:
    account = await account_data(gateway, DEMO_HOME_ACCOUNT)
    record = (await simulated.get_accounts([DEMO_HOME_ACCOUNT]))[DEMO_HOME_ACCOUNT]

    assert account["number"] == DEMO_HOME_ACCOUNT
    assert account["balance"]["total"] == f"{record.balance.total:.2f}"
    assert account["balance"]["current"] == f"{record.balance.current:.2f}"
    assert account["status"] == record.account_status.name
    assert account["budgetBill"] is record.budget_bill
    location = account["serviceLocations"][0]
    assert location["meters"][0]["number"] == DEMO_HOME_METER
    assert location["meters"][0]["isNetMetered"] is True
    assert isinstance(location["geo"]["latitude"], float)
    assert account["rate"]["timeOfUsePeriods"]  # the home is billed time-of-use
    assert account["outageStatus"]["powerStatus"] == "POWER_ON"
    bills = account["bills"]
    assert len(bills["edges"]) == 2
    assert bills["totalCount"] > 2
    assert bills["pageInfo"]["hasNextPage"] is True
    bill = bills["edges"][0]["node"]
    assert all(MONEY.fullmatch(bill[key]) for key in ("priorBalance", "totalDue"))
    assert bill["charges"]
    assert sum(Decimal(line["amount"]) for line in bill["charges"]) == Decimal(
        bill["totalDue"]
    ) - Decimal(bill["priorBalance"]) + Decimal(bill["paymentsApplied"])
    payments = account["payments"]["nodes"]
    assert payments
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d", payments[0]["postedAt"])
    days = account["usage"]
    assert len(days) in (29, 30)  # today may not be measured yet
    assert all(MONEY.fullmatch(day["estimatedCost"]) for day in days)
    assert all(
        Decimal(day["net"]) == Decimal(day["kWhDelivered"]) - Decimal(day["kWhReceived"])
        for day in days
    )


async def test_the_cabin_is_past_due_and_in_an_outage(gateway: Gateway) -> None:
    account = await account_data(gateway, DEMO_CABIN_ACCOUNT)
    assert account["isPastDue"] is True
    assert Decimal(account["balance"]["pastDue"]) > 0
    status = account["outageStatus"]
    assert status["powerStatus"] == "POWER_OFF"
    assert status["outage"]["status"] in {"ASSUMED", "CONFIRMED"}
    assert status["outage"]["area"]["polygon"]


async def test_bill_pages_follow_their_cursors(gateway: Gateway) -> None:
    query = """query($n: String!, $after: String) { viewer { account(number: $n) {
      bills(first: 5, after: $after) { nodes { id } pageInfo { endCursor hasNextPage } } } } }"""
    seen: list[str] = []
    after = None
    while True:
        result = await gateway.run(query, as_user=DEMO_EMAIL, n=DEMO_HOME_ACCOUNT, after=after)
        assert result.data is not None
        bills = result.data["viewer"]["account"]["bills"]
        seen += [bill["id"] for bill in bills["nodes"]]
        if not bills["pageInfo"]["hasNextPage"]:
            break
        after = bills["pageInfo"]["endCursor"]
    everything = await gateway.run(
        "query($n: String!) { viewer { account(number: $n) {"
        " bills(first: 100) { nodes { id } } } } }",
        as_user=DEMO_EMAIL,
        n=DEMO_HOME_ACCOUNT,
    )
    assert everything.data is not None
    assert seen == [bill["id"] for bill in everything.data["viewer"]["account"]["bills"]["nodes"]]
    assert len(seen) > 12  # 24 months of monthly bills


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ("bills(first: 101) { totalCount }", "bills"),
        ('bills(after: "bm9wZQ==") { totalCount }', "bills"),
        ('payments(from: "2025-02-01", to: "2025-01-01") { totalCount }', "payments"),
        (
            'usage(resolution: FIFTEEN_MINUTES, from: "2025-01-01", to: "2025-02-01") { start }',
            "usage",
        ),
        ('usage(resolution: HOURLY, from: "2025-01-01", to: "2025-04-03") { start }', "usage"),
    ],
)
async def test_out_of_range_arguments_are_bad_user_input(
    gateway: Gateway, arguments: str, path: str
) -> None:
    query = f'{{ viewer {{ account(number: "{DEMO_HOME_ACCOUNT}") {{ number {arguments} }} }} }}'
    result = await gateway.run(query, as_user=DEMO_EMAIL)
    assert codes(result) == {f"viewer.account.{path}": "BAD_USER_INPUT"}
    assert result.data is not None
    assert result.data["viewer"]["account"]["number"] == DEMO_HOME_ACCOUNT


USAGE = """query($n: String!, $r: UsageResolution!, $from: Date, $to: Date) { viewer {
  account(number: $n) {
    usage(resolution: $r, from: $from, to: $to) { start end kWhDelivered } } } }"""


@pytest.mark.parametrize(
    ("day", "hours"), [(date(2025, 3, 9), 23), (date(2025, 11, 2), 25), (date(2025, 6, 1), 24)]
)
async def test_a_dst_day_has_23_or_25_hours(gateway: Gateway, day: date, hours: int) -> None:
    result = await gateway.run(
        USAGE,
        as_user=DEMO_EMAIL,
        n=DEMO_HOME_ACCOUNT,
        r="HOURLY",
        **{"from": day.isoformat(), "to": day.isoformat()},
    )
    assert result.errors is None
    assert result.data is not None
    usage = result.data["viewer"]["account"]["usage"]
    assert len(usage) == hours
    assert (
        usage[0]["start"] == f"{day.isoformat()}T00:00:00{'-06:00' if day.month == 3 else '-05:00'}"
    )


async def test_monthly_usage_sums_the_local_days_of_each_month(gateway: Gateway) -> None:
    window = {"from": "2025-01-15", "to": "2025-03-10"}
    monthly = await gateway.run(
        USAGE, as_user=DEMO_EMAIL, n=DEMO_HOME_ACCOUNT, r="MONTHLY", **window
    )
    daily = await gateway.run(
        USAGE,
        as_user=DEMO_EMAIL,
        n=DEMO_HOME_ACCOUNT,
        r="DAILY",
        **{"from": "2025-01-01", "to": "2025-03-31"},
    )
    assert monthly.data is not None
    assert daily.data is not None
    months = monthly.data["viewer"]["account"]["usage"]
    days = daily.data["viewer"]["account"]["usage"]
    assert [month["start"][:10] for month in months] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert months[2]["end"] == "2025-04-01T00:00:00-05:00"
    for month in months:
        prefix = month["start"][:7]
        total = sum(Decimal(day["kWhDelivered"]) for day in days if day["start"].startswith(prefix))
        assert Decimal(month["kWhDelivered"]) == total
