"""Procedural usage: exact sums across resolutions, local days across DST, measured only."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.cis_soap.operations import FAULT_INVALID_REQUEST
from adapters.cis_soap.simulator import demo
from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.usage import allocate
from adapters.errors import CisFault
from adapters.records import IntervalLength, ReadingQuality, UsageInterval

from .simulated import CHICAGO, NOW, Clock, midnight, next_day, small_cis

SPRING_FORWARD = date(2026, 3, 8)
FALL_BACK = date(2025, 11, 2)
PIVOT_METER = f"M{demo.FARM_ACCOUNTS[-1]}-1"  # center pivot on an 80x meter
METERS = (demo.DEMO_HOME_METER, PIVOT_METER, f"M{demo.DEMO_CABIN_ACCOUNT}-1")


@pytest.fixture(scope="module")
def cis() -> Iterator[SimulatedCis]:
    simulated = small_cis()
    yield simulated
    asyncio.run(simulated.aclose())


async def usage_of(
    cis: SimulatedCis, meter: str, first: date, last: date, length: IntervalLength
) -> tuple[UsageInterval, ...]:
    found = await cis.get_usage([meter], midnight(first), midnight(next_day(last)), length)
    return found[meter]


def utc(instant: datetime) -> datetime:
    """Instants of one zone compare by wall clock; across DST compare them in UTC."""
    return instant.astimezone(UTC)


def totals(intervals: tuple[UsageInterval, ...]) -> tuple[Decimal, Decimal]:
    return (
        sum((i.kwh_delivered for i in intervals), Decimal(0)),
        sum((i.kwh_received for i in intervals), Decimal(0)),
    )


@pytest.mark.parametrize(
    "weights", [[1, 1, 1], [5, 0, 3, 9, 1], [1] * 96, [0, 0, 7], list(range(100, 1, -7))]
)
@pytest.mark.parametrize("total", [0, 1, 999, 123_457])
def test_allocate_is_exact_and_proportional(weights: list[int], total: int) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * weight / sum(weights)) < 1


@pytest.mark.parametrize(
    ("day", "quarters", "hours", "day_length"),
    [
        (SPRING_FORWARD, 92, 23, timedelta(hours=23)),
        (FALL_BACK, 100, 25, timedelta(hours=25)),
        (date(2026, 6, 16), 96, 24, timedelta(hours=24)),
    ],
)
async def test_local_days_across_daylight_saving(
    cis: SimulatedCis, day: date, quarters: int, hours: int, day_length: timedelta
) -> None:
    fifteen = await usage_of(cis, demo.DEMO_HOME_METER, day, day, IntervalLength.FIFTEEN_MINUTES)
    hourly = await usage_of(cis, demo.DEMO_HOME_METER, day, day, IntervalLength.HOURLY)
    (daily,) = await usage_of(cis, demo.DEMO_HOME_METER, day, day, IntervalLength.DAILY)
    assert (len(fifteen), len(hourly)) == (quarters, hours)
    assert daily.start == midnight(day)
    assert daily.end == midnight(next_day(day))
    assert utc(daily.end) - utc(daily.start) == day_length
    assert fifteen[0].start == daily.start
    assert fifteen[-1].end == daily.end
    for earlier, later in itertools.pairwise(fifteen):
        assert utc(later.start) == utc(earlier.end)
        assert utc(later.end) - utc(later.start) == timedelta(minutes=15)
    for hour in hourly:
        assert utc(hour.end) - utc(hour.start) == timedelta(hours=1)
    assert all(interval.start.tzinfo is CHICAGO for interval in fifteen)


@pytest.mark.parametrize("meter", METERS)
async def test_days_and_hours_are_exact_sums_of_quarter_hours(
    cis: SimulatedCis, meter: str
) -> None:
    first, last = date(2026, 3, 1), date(2026, 3, 14)  # spans spring-forward
    fifteen = await usage_of(cis, meter, first, last, IntervalLength.FIFTEEN_MINUTES)
    hourly = await usage_of(cis, meter, first, last, IntervalLength.HOURLY)
    daily = await usage_of(cis, meter, first, last, IntervalLength.DAILY)
    assert len(daily) == 14
    for hour in hourly:
        quarters = tuple(q for q in fifteen if utc(hour.start) <= utc(q.start) < utc(hour.end))
        assert len(quarters) == 4
        assert (hour.kwh_delivered, hour.kwh_received) == totals(quarters)
    for day in daily:
        quarters = tuple(q for q in fifteen if utc(day.start) <= utc(q.start) < utc(day.end))
        assert (day.kwh_delivered, day.kwh_received) == totals(quarters)


async def test_net_meter_receives_solar_by_day_only(cis: SimulatedCis) -> None:
    day = date(2026, 6, 20)
    fifteen = await usage_of(cis, demo.DEMO_HOME_METER, day, day, IntervalLength.FIFTEEN_MINUTES)
    by_hour = {interval.start.hour: interval.kwh_received for interval in fifteen}
    assert by_hour[13] > 0
    assert by_hour[2] == 0
    assert by_hour[23] == 0
    ordinary = await usage_of(cis, PIVOT_METER, day, day, IntervalLength.DAILY)
    assert ordinary[0].kwh_received == 0


async def test_meter_multiplier_is_applied(cis: SimulatedCis) -> None:
    (meter,) = (await cis.get_meters([PIVOT_METER])).values()
    assert meter.multiplier == 80
    fifteen = await usage_of(
        cis, PIVOT_METER, date(2026, 7, 1), date(2026, 7, 2), IntervalLength.FIFTEEN_MINUTES
    )
    assert all(q.kwh_delivered % Decimal("0.080") == 0 for q in fifteen)
    assert any(q.kwh_delivered > 0 for q in fifteen)


async def test_seasonal_farm_loads(cis: SimulatedCis) -> None:
    pivot_july = totals(
        await usage_of(cis, PIVOT_METER, date(2026, 7, 1), date(2026, 7, 31), IntervalLength.DAILY)
    )[0]
    pivot_january = totals(
        await usage_of(cis, PIVOT_METER, date(2026, 1, 1), date(2026, 1, 31), IntervalLength.DAILY)
    )[0]
    assert pivot_july > 50 * pivot_january
    dryer = f"M{demo.FARM_ACCOUNTS[10]}-1"
    (meter,) = (await cis.get_meters([dryer])).values()
    (location,) = (await cis.get_service_locations([demo.FARM_ACCOUNTS[10]])).popitem()[1]
    assert location.revenue_class == "Grain Drying"
    assert meter.multiplier == 40
    dryer_october = totals(
        await usage_of(cis, dryer, date(2025, 10, 1), date(2025, 10, 31), IntervalLength.DAILY)
    )[0]
    dryer_june = totals(
        await usage_of(cis, dryer, date(2026, 6, 1), date(2026, 6, 30), IntervalLength.DAILY)
    )[0]
    assert dryer_october > 50 * dryer_june


async def test_only_measured_intervals_are_returned() -> None:
    clock = Clock()
    live = small_cis(clock=clock)
    meter = demo.DEMO_HOME_METER
    window = (NOW - timedelta(hours=3), NOW + timedelta(hours=3))
    before = (await live.get_usage([meter], *window, IntervalLength.FIFTEEN_MINUTES))[meter]
    assert before[-1].end <= NOW < before[-1].end + timedelta(minutes=15)
    assert len(before) == 11  # 07:45 (the first start after 07:37) to 10:15-10:30
    assert not (await live.get_usage([meter], *window, IntervalLength.DAILY))[meter]
    clock.now = NOW + timedelta(hours=1)
    after = (await live.get_usage([meter], *window, IntervalLength.FIFTEEN_MINUTES))[meter]
    assert after[: len(before)] == before
    assert len(after) == len(before) + 4


async def test_readings_are_mostly_actual_with_some_estimated_and_missing(
    cis: SimulatedCis,
) -> None:
    year = await usage_of(
        cis,
        demo.DEMO_HOME_METER,
        date(2025, 11, 1),
        date(2026, 10, 31),
        IntervalLength.FIFTEEN_MINUTES,
    )
    qualities = [interval.quality for interval in year]
    assert qualities.count(ReadingQuality.ACTUAL) > 0.95 * len(year)
    assert ReadingQuality.ESTIMATED in qualities
    missing = [i for i in year if i.quality is ReadingQuality.MISSING]
    assert missing
    assert all(i.kwh_delivered == i.kwh_received == 0 for i in missing)


async def test_usage_is_deterministic_per_seed(cis: SimulatedCis) -> None:
    window = (midnight(date(2026, 5, 1)), midnight(date(2026, 5, 3)))
    same = small_cis()
    other = small_cis(seed=2)
    length = IntervalLength.FIFTEEN_MINUTES
    first = await cis.get_usage(METERS, *window, length)
    assert await same.get_usage(METERS, *window, length) == first
    assert await other.get_usage(METERS, *window, length) != first


async def test_unknown_meters_are_missing(cis: SimulatedCis) -> None:
    found = await cis.get_usage(
        ["M0000-1", demo.DEMO_HOME_METER], NOW - timedelta(days=1), NOW, IntervalLength.HOURLY
    )
    assert set(found) == {demo.DEMO_HOME_METER}


@pytest.mark.parametrize(
    ("start", "end", "subject"),
    [
        (NOW, NOW, "end"),
        (NOW, NOW - timedelta(hours=1), "end"),
        (datetime(1, 1, 1, tzinfo=CHICAGO), NOW, "start"),
        (NOW, datetime(9999, 12, 31, tzinfo=CHICAGO), "end"),
    ],
    ids=["empty", "reversed", "year-1", "year-9999"],
)
async def test_senseless_windows_are_invalid_requests(
    cis: SimulatedCis, start: datetime, end: datetime, subject: str
) -> None:
    with pytest.raises(CisFault) as fault:
        await cis.get_usage([demo.DEMO_HOME_METER], start, end, IntervalLength.DAILY)
    assert (fault.value.code, fault.value.subject) == (FAULT_INVALID_REQUEST, subject)
