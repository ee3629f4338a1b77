"""What usage markers compare, checked against the simulated CIS's own usage
(``oracle``), and how a list of comparisons reads the CIS."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import DEMO_EMAIL, DEMO_HOME_ACCOUNT, DEMO_SHOP_ACCOUNT
from adapters.records import IntervalLength
from tests.resolvers.counting import CountingCis
from tests.schema.harness import Gateway, codes

from .marking import create, run
from .oracle import KWH, cents, day_costs, readings, today

PERIOD = """from to daysMeasured total { net } averagePerDay { kWhDelivered kWhReceived net }
estimatedCost averageDailyEstimatedCost"""
COMPARISONS = f"""query($n: String!, $days: Int!) {{ viewer {{ account(number: $n) {{
  usageMarkers {{ name comparison(days: $days) {{ before {{ {PERIOD} }} marked {{ {PERIOD} }}
    yearEarlier {{ before {{ {PERIOD} }} marked {{ {PERIOD} }} }} }} }} }} }} }}"""


async def expected_period(
    cis: SimulatedCis, account: str, first: date, last: date
) -> dict[str, Any]:
    days = await readings(cis, account, first, last, IntervalLength.DAILY)
    count = len(days)
    delivered = sum((day.delivered for day in days), Decimal(0))
    received = sum((day.received for day in days), Decimal(0))
    cost = sum(await day_costs(cis, account, first, last), Decimal(0))
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "daysMeasured": count,
        "total": {"net": str(delivered - received)},
        "averagePerDay": {
            "kWhDelivered": str((delivered / count).quantize(KWH)),
            "kWhReceived": str((received / count).quantize(KWH)),
            "net": str((delivered / count).quantize(KWH) - (received / count).quantize(KWH)),
        },
        "estimatedCost": cents(cost),
        "averageDailyEstimatedCost": cents(cost / count),
    }


def a_year_before(day: date) -> date:
    """The same day a year before; 28 February for a 29th."""
    if (day.month, day.day) == (2, 29):
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)


async def test_comparisons_match_the_usage_the_cis_holds(
    gateway: Gateway, simulated: SimulatedCis
) -> None:
    """A point marker on the flat-rate shop, a range on the net-metered, time-of-use home."""
    at = today() - timedelta(days=120)
    await create(gateway, DEMO_SHOP_ACCOUNT, name="New compressor", at=at.isoformat())
    start, end = today() - timedelta(days=60), today() - timedelta(days=51)
    await create(
        gateway,
        DEMO_HOME_ACCOUNT,
        name="Away",
        **{"from": start.isoformat(), "to": end.isoformat()},
    )
    expected = {
        DEMO_SHOP_ACCOUNT: (
            (at - timedelta(days=21), at - timedelta(days=1)),
            (at + timedelta(days=1), at + timedelta(days=21)),
        ),
        DEMO_HOME_ACCOUNT: ((start - timedelta(days=10), start - timedelta(days=1)), (start, end)),
    }
    for account, (before, marked) in expected.items():
        data = await run(gateway, COMPARISONS, n=account, days=21)
        [marker] = data["viewer"]["account"]["usageMarkers"]
        comparison = marker["comparison"]
        assert comparison["before"] == await expected_period(simulated, account, *before)
        assert comparison["marked"] == await expected_period(simulated, account, *marked)
        earlier = comparison["yearEarlier"]
        assert earlier["before"] == await expected_period(
            simulated, account, *map(a_year_before, before)
        )
        assert earlier["marked"] == await expected_period(
            simulated, account, *map(a_year_before, marked)
        )


async def test_a_list_of_comparisons_shares_its_cis_calls(
    gateway: Gateway, counting: CountingCis
) -> None:
    past = today() - timedelta(days=200)
    quarter = date(past.year, (past.month - 1) // 3 * 3 + 1, 1)  # a calendar quarter gone by
    middle = quarter + timedelta(days=45)  # markers 30 days either side stay in the quarter
    query = """{ viewer { accounts { usageMarkers { comparison(days: 30) {
      before { averagePerDay { net } } marked { averagePerDay { net } }
      yearEarlier { before { estimatedCost } marked { estimatedCost } } } } } } }"""

    await create(gateway, DEMO_HOME_ACCOUNT, name="first", at=middle.isoformat())
    before = counting.calls["get_usage"]
    await run(gateway, query)
    one_marker = counting.calls["get_usage"] - before

    for account, shift in [
        (DEMO_HOME_ACCOUNT, -5),
        (DEMO_HOME_ACCOUNT, 5),
        (DEMO_SHOP_ACCOUNT, 0),
        (DEMO_SHOP_ACCOUNT, 9),
    ]:
        day = middle + timedelta(days=shift)
        await create(gateway, account, name=f"marker {shift}", at=day.isoformat())
    before = counting.calls["get_usage"]
    await run(gateway, query)
    many_markers = counting.calls["get_usage"] - before
    # The home's days and hours of one quarter and of the quarter a year earlier; the shop's
    # days of both, when they are not asked together with the home's: however many markers.
    assert one_marker == 4
    assert many_markers <= 6


async def test_days_to_come_are_not_averaged(gateway: Gateway) -> None:
    at = today() - timedelta(days=5)
    await create(gateway, DEMO_SHOP_ACCOUNT, name="New freezer", at=at.isoformat())
    data = await run(gateway, COMPARISONS, n=DEMO_SHOP_ACCOUNT, days=30)
    marked = data["viewer"]["account"]["usageMarkers"][0]["comparison"]["marked"]
    assert (marked["from"], marked["to"]) == (
        (at + timedelta(days=1)).isoformat(),
        (at + timedelta(days=30)).isoformat(),
    )
    assert marked["daysMeasured"] == 4  # the days since, today not being over


@pytest.mark.parametrize("days", [0, 93])
async def test_comparison_days_out_of_range_are_bad_user_input(gateway: Gateway, days: int) -> None:
    await create(
        gateway, DEMO_SHOP_ACCOUNT, name="x", at=(today() - timedelta(days=100)).isoformat()
    )
    result = await gateway.run(COMPARISONS, as_user=DEMO_EMAIL, n=DEMO_SHOP_ACCOUNT, days=days)
    assert codes(result) == {"viewer.account.usageMarkers.0.comparison": "BAD_USER_INPUT"}


DAYS = "before { from to } marked { from to }"
WINDOWS = f"""query($n: String!) {{ viewer {{ account(number: $n) {{ usageMarkers {{ name
  comparison(days: 3) {{ {DAYS} yearEarlier {{ {DAYS} }} }} }} }} }} }}"""


def windows(before: tuple[date, date], marked: tuple[date, date]) -> dict[str, Any]:
    return {
        name: {"from": first.isoformat(), "to": last.isoformat()}
        for name, (first, last) in (("before", before), ("marked", marked))
    }


async def test_a_year_before_a_29_february_the_windows_do_not_overlap(gateway: Gateway) -> None:
    """The 28th stands for the 29th: the days before end on the 27th, as a marker's own day
    is in neither side (a point) or only in the marked side (a range)."""
    leap = next(year for year in range(today().year, 0, -1) if calendar.isleap(year))
    day = date(leap, 2, 29)
    await create(gateway, DEMO_SHOP_ACCOUNT, name="a point", at=day.isoformat())
    await create(
        gateway,
        DEMO_SHOP_ACCOUNT,
        name="a range",
        **{"from": day.isoformat(), "to": date(leap, 3, 5).isoformat()},
    )
    data = await run(gateway, WINDOWS, n=DEMO_SHOP_ACCOUNT)
    found = {
        marker["name"]: marker["comparison"]["yearEarlier"]
        for marker in data["viewer"]["account"]["usageMarkers"]
    }
    year = leap - 1
    assert found == {
        "a point": windows(
            (date(year, 2, 25), date(year, 2, 27)), (date(year, 3, 1), date(year, 3, 3))
        ),
        "a range": windows(
            (date(year, 2, 22), date(year, 2, 27)), (date(year, 2, 28), date(year, 3, 5))
        ),
    }
