"""Account.usageSummary and the estimated cost, checked against the simulated CIS's own
intervals, rate schedules and bills (``oracle``)."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import DEMO_EMAIL, DEMO_HOME_ACCOUNT, DEMO_SHOP_ACCOUNT
from adapters.records import DateRange, IntervalLength
from tests.resolvers.counting import CountingCis
from tests.schema.harness import Gateway, codes

from .oracle import KWH, ZONE, Reading, cents, day_costs, midnight, readings, today

HALF_CENT = Decimal("0.005")
EVER = DateRange(date(2000, 1, 1), date(2100, 1, 1))


async def account_data(gateway: Gateway, account: str, fields: str, **variables: Any) -> Any:
    declared = "".join(f", ${name}: Date!" for name in variables)
    query = f"query($n: String!{declared}) {{ viewer {{ account(number: $n) {{ {fields} }} }} }}"
    result = await gateway.run(query, as_user=DEMO_EMAIL, n=account, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["viewer"]["account"]


# The home is billed time-of-use (customer charge and three energy lines) with solar, the
# shop a flat rate (customer and energy charges) plus sales tax.
@pytest.mark.parametrize(
    ("account", "rate_lines"), [(DEMO_HOME_ACCOUNT, 4), (DEMO_SHOP_ACCOUNT, 2)]
)
async def test_the_estimate_over_a_billed_period_adds_up_to_the_bills_rate_charges(
    gateway: Gateway, account: str, rate_lines: int
) -> None:
    """The estimate has the bill's customer and energy charges, not its power cost
    adjustment or tax (the rate schedule has neither)."""
    bills = await account_data(
        gateway,
        account,
        "bills(first: 3) { nodes { periodStart periodEnd charges { description amount } } }",
    )
    for bill in bills["bills"]["nodes"]:
        first, last = date.fromisoformat(bill["periodStart"]), date.fromisoformat(bill["periodEnd"])
        lines = [
            Decimal(line["amount"])
            for line in bill["charges"]
            if not line["description"].startswith(("Power cost adjustment", "Sales tax"))
        ]
        assert len(lines) == rate_lines
        estimate = await account_data(
            gateway,
            account,
            "usageSummary(from: $from, to: $to) { daysMeasured estimatedCost }"
            " usage(resolution: DAILY, from: $from, to: $to) { estimatedCost }",
            **{"from": first.isoformat(), "to": last.isoformat()},
        )
        days = (last - first).days + 1
        assert estimate["usageSummary"]["daysMeasured"] == days
        # Each bill line is rounded to the cent, and so is each estimate the gateway answers.
        summary = Decimal(estimate["usageSummary"]["estimatedCost"])
        assert abs(summary - sum(lines)) <= HALF_CENT * (len(lines) + 1)
        by_day = sum(Decimal(day["estimatedCost"]) for day in estimate["usage"])
        assert abs(by_day - sum(lines)) <= HALF_CENT * (len(lines) + days)


SUMMARY_FIELDS = """from to daysMeasured total { kWhDelivered kWhReceived net }
averagePerDay { kWhDelivered kWhReceived net } peakDay { date kWhDelivered }
peakInterval { start end resolution kWhDelivered } estimatedCost averageDailyEstimatedCost"""
SUMMARY = (
    f"usageSummary(from: $from, to: $to) {{ {SUMMARY_FIELDS} yearEarlier {{ {SUMMARY_FIELDS} }} }}"
)


async def expected_summary(
    cis: SimulatedCis, account: str, first: date, last: date
) -> dict[str, Any]:
    days = await readings(cis, account, first, last, IntervalLength.DAILY)
    quarters = await readings(cis, account, first, last, IntervalLength.FIFTEEN_MINUTES)
    cost = sum(await day_costs(cis, account, first, last), Decimal(0))
    delivered = sum((day.delivered for day in days), Decimal(0))
    received = sum((day.received for day in days), Decimal(0))
    peak_day = max(days, key=lambda day: day.delivered)
    peak: Reading = max(quarters, key=lambda quarter: quarter.delivered)
    count = len(days)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "daysMeasured": count,
        "total": totals(delivered, received),
        "averagePerDay": totals(
            (delivered / count).quantize(KWH), (received / count).quantize(KWH)
        ),
        "peakDay": {
            "date": peak_day.start.date().isoformat(),
            "kWhDelivered": str(peak_day.delivered),
        },
        "peakInterval": {
            "start": peak.start.isoformat(),
            "end": (peak.start + timedelta(minutes=15)).astimezone(ZONE).isoformat(),
            "resolution": "FIFTEEN_MINUTES",
            "kWhDelivered": str(peak.delivered),
        },
        "estimatedCost": cents(cost),
        "averageDailyEstimatedCost": cents(cost / count),
    }


def totals(delivered: Decimal, received: Decimal) -> dict[str, str]:
    return {
        "kWhDelivered": str(delivered),
        "kWhReceived": str(received),
        "net": str(delivered - received),
    }


def last_summer() -> tuple[date, date]:
    """Ten days of the latest July that is over; the meters were read a year before too."""
    year = today().year if today() > date(today().year, 7, 31) else today().year - 1
    return date(year, 7, 10), date(year, 7, 19)


async def test_a_net_metered_summary_and_its_year_earlier_match_the_cis(
    gateway: Gateway, simulated: SimulatedCis, counting: CountingCis
) -> None:
    first, last = last_summer()
    variables = {"from": first.isoformat(), "to": last.isoformat()}
    summary = (await account_data(gateway, DEMO_HOME_ACCOUNT, SUMMARY, **variables))["usageSummary"]

    earlier = summary.pop("yearEarlier")
    assert summary == await expected_summary(simulated, DEMO_HOME_ACCOUNT, first, last)
    assert Decimal(summary["total"]["kWhReceived"]) > 0  # the panels sent power back
    year_before = first.replace(year=first.year - 1), last.replace(year=last.year - 1)
    assert earlier == await expected_summary(simulated, DEMO_HOME_ACCOUNT, *year_before)
    # Days, the hours that price them and the quarter-hours of the peak, for each year.
    assert counting.calls["get_usage"] == 6


async def test_a_year_earlier_before_the_meter_was_installed_has_no_figures(
    gateway: Gateway, simulated: SimulatedCis
) -> None:
    bills = (await simulated.get_bills([DEMO_SHOP_ACCOUNT], EVER))[DEMO_SHOP_ACCOUNT]
    installed = min(bill.period_start for bill in bills)  # the meter's first day read
    last = installed + timedelta(days=40)
    variables = {"from": installed.isoformat(), "to": last.isoformat()}
    summary = (await account_data(gateway, DEMO_SHOP_ACCOUNT, SUMMARY, **variables))["usageSummary"]
    assert summary["daysMeasured"] == 41
    assert summary["peakInterval"]["resolution"] == "HOURLY"
    assert summary["yearEarlier"] == {
        "from": installed.replace(year=installed.year - 1).isoformat(),
        "to": last.replace(year=last.year - 1).isoformat(),
        "daysMeasured": 0,
        "total": totals(Decimal(0), Decimal(0)),
        "averagePerDay": None,
        "peakDay": None,
        "peakInterval": None,
        "estimatedCost": None,
        "averageDailyEstimatedCost": None,
    }


def last_dst_days() -> list[date]:
    """The latest local days of 23 and of 25 hours that are over."""
    found: dict[float, date] = {}
    day = today() - timedelta(days=1)
    while len(found) < 2:
        # Aware datetimes of one zone subtract by wall clock: timestamps count real hours.
        hours = (midnight(day + timedelta(days=1)).timestamp() - midnight(day).timestamp()) / 3600
        if hours != 24:
            found.setdefault(hours, day)
        day -= timedelta(days=1)
    return [found[23], found[25]]


EVERY_RESOLUTION = """
quarters: usage(resolution: FIFTEEN_MINUTES, from: $day, to: $day) { start kWhDelivered }
hours: usage(resolution: HOURLY, from: $day, to: $day) { start kWhDelivered }
days: usage(resolution: DAILY, from: $day, to: $day) { start end kWhDelivered estimatedCost }
months: usage(resolution: MONTHLY, from: $day, to: $day) { start end kWhDelivered }
usageSummary(from: $day, to: $day) { daysMeasured total { kWhDelivered } estimatedCost
  peakInterval { start resolution kWhDelivered } }
"""


@pytest.mark.parametrize(("day", "hours"), list(zip(last_dst_days(), (23, 25), strict=True)))
async def test_a_dst_day_in_every_resolution(
    gateway: Gateway, simulated: SimulatedCis, day: date, hours: int
) -> None:
    usage = await account_data(gateway, DEMO_HOME_ACCOUNT, EVERY_RESOLUTION, day=day.isoformat())
    [expected_day] = await readings(simulated, DEMO_HOME_ACCOUNT, day, day, IntervalLength.DAILY)
    total = expected_day.delivered

    assert len(usage["quarters"]) == hours * 4
    assert len(usage["hours"]) == hours
    starts = [datetime.fromisoformat(hour["start"]) for hour in usage["hours"]]
    assert all(later - earlier == timedelta(hours=1) for earlier, later in pairwise(starts))
    for resolution in ("quarters", "hours", "days"):
        assert sum(Decimal(row["kWhDelivered"]) for row in usage[resolution]) == total
    [whole_day] = usage["days"]
    length = datetime.fromisoformat(whole_day["end"]) - datetime.fromisoformat(whole_day["start"])
    assert length == timedelta(hours=hours)
    [cost] = await day_costs(simulated, DEMO_HOME_ACCOUNT, day, day)
    assert whole_day["estimatedCost"] == cents(cost)

    [month] = usage["months"]
    first_of_month = day.replace(day=1)
    next_month = (first_of_month + timedelta(days=31)).replace(day=1)
    month_days = await readings(
        simulated,
        DEMO_HOME_ACCOUNT,
        first_of_month,
        next_month - timedelta(days=1),
        IntervalLength.DAILY,
    )
    # A month not over yet ends with its last day measured.
    last_measured = month_days[-1].start.date() + timedelta(days=1)
    assert (month["start"], month["end"]) == (
        midnight(first_of_month).isoformat(),
        midnight(last_measured).isoformat(),
    )
    assert Decimal(month["kWhDelivered"]) == sum((d.delivered for d in month_days), Decimal(0))

    summary = usage["usageSummary"]
    assert summary["daysMeasured"] == 1
    assert Decimal(summary["total"]["kWhDelivered"]) == total
    assert summary["estimatedCost"] == cents(cost)
    peak = max(usage["quarters"], key=lambda quarter: Decimal(quarter["kWhDelivered"]))
    assert summary["peakInterval"] == {**peak, "resolution": "FIFTEEN_MINUTES"}


@pytest.mark.parametrize(
    ("first", "last"), [("2025-02-01", "2025-01-01"), ("2023-01-01", "2025-01-01")]
)
async def test_reversed_or_too_long_summaries_are_bad_user_input(
    gateway: Gateway, first: str, last: str
) -> None:
    query = (
        f'{{ viewer {{ account(number: "{DEMO_HOME_ACCOUNT}") {{ number'
        f' usageSummary(from: "{first}", to: "{last}") {{ daysMeasured }} }} }} }}'
    )
    result = await gateway.run(query, as_user=DEMO_EMAIL)
    assert codes(result) == {"viewer.account.usageSummary": "BAD_USER_INPUT"}
    assert result.data is not None
    assert result.data["viewer"]["account"]["number"] == DEMO_HOME_ACCOUNT


async def test_the_year_before_the_longest_summary_may_be_a_day_longer(
    gateway: Gateway, simulated: SimulatedCis
) -> None:
    """From the 28 February after a leap year to the 28 February two years on is 731 days,
    the most a summary covers; the same days a year earlier have a 29 February more."""
    # The latest leap year begun: its year earlier holds days the simulated meter read.
    leap = next(
        year
        for year in range(today().year, 0, -1)
        if calendar.isleap(year) and date(year, 2, 28) < today()
    )
    first, last = date(leap + 1, 2, 28), date(leap + 3, 2, 28)
    variables = {"from": first.isoformat(), "to": last.isoformat()}
    fields = "usageSummary(from: $from, to: $to) { to yearEarlier { from to daysMeasured } }"
    summary = (await account_data(gateway, DEMO_SHOP_ACCOUNT, fields, **variables))["usageSummary"]
    earlier = date(leap, 2, 28), date(leap + 2, 2, 28)
    assert ((last - first).days + 1, (earlier[1] - earlier[0]).days + 1) == (731, 732)
    measured = await readings(simulated, DEMO_SHOP_ACCOUNT, *earlier, IntervalLength.DAILY)
    assert measured  # the simulated meter was read on some of those days
    assert summary == {
        "to": last.isoformat(),
        "yearEarlier": {
            "from": earlier[0].isoformat(),
            "to": earlier[1].isoformat(),
            "daysMeasured": len(measured),
        },
    }
