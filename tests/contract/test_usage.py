"""Usage intervals: local days, DST-aware lengths, and totals that add up exactly."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from adapters.contract import CisAdapter
from adapters.records import IntervalLength, UsageInterval

from .facts import ContractFacts


def local_midnight(day: date, facts: ContractFacts) -> datetime:
    return datetime.combine(day, time(0), facts.time_zone)


def us_dst_days(year: int) -> tuple[date, date]:
    """Second Sunday of March (23-hour day) and first Sunday of November (25 hours)."""
    march_first = date(year, 3, 1)
    spring = march_first + timedelta(days=(6 - march_first.weekday()) % 7 + 7)
    november_first = date(year, 11, 1)
    fall = november_first + timedelta(days=(6 - november_first.weekday()) % 7)
    return spring, fall


async def meter_of(cis: CisAdapter, account_number: str) -> str:
    locations = await cis.get_service_locations([account_number])
    return next(meter for location in locations[account_number] for meter in location.meter_numbers)


async def read_day(
    cis: CisAdapter, meter: str, day: date, length: IntervalLength, facts: ContractFacts
) -> Sequence[UsageInterval]:
    start = local_midnight(day, facts)
    end = local_midnight(day + timedelta(days=1), facts)
    usage = await cis.get_usage([meter], start, end, length)
    return usage[meter]


def elapsed(interval: UsageInterval) -> timedelta:
    # Subtracting aware datetimes that share a tzinfo ignores DST shifts: go through UTC.
    return interval.end.astimezone(UTC) - interval.start.astimezone(UTC)


def totals(intervals: Sequence[UsageInterval]) -> tuple[Decimal, Decimal]:
    delivered = sum((interval.kwh_delivered for interval in intervals), Decimal(0))
    received = sum((interval.kwh_received for interval in intervals), Decimal(0))
    return delivered, received


@pytest.mark.parametrize(("which", "hours"), [(0, 23), (1, 25)])
async def test_dst_days_have_the_right_number_of_intervals(
    cis: CisAdapter, facts: ContractFacts, which: int, hours: int
) -> None:
    day = us_dst_days(date.today().year - 1)[which]
    meter = await meter_of(cis, facts.net_metered_account)

    quarter_hours = await read_day(cis, meter, day, IntervalLength.FIFTEEN_MINUTES, facts)
    hourly = await read_day(cis, meter, day, IntervalLength.HOURLY, facts)
    (daily,) = await read_day(cis, meter, day, IntervalLength.DAILY, facts)

    assert (len(quarter_hours), len(hourly)) == (hours * 4, hours)
    assert all(elapsed(interval) == timedelta(minutes=15) for interval in quarter_hours)
    assert elapsed(daily) == timedelta(hours=hours)
    assert daily.start == local_midnight(day, facts)
    assert totals(quarter_hours) == totals(hourly) == (daily.kwh_delivered, daily.kwh_received)


async def test_intervals_are_contiguous_and_aware(cis: CisAdapter, facts: ContractFacts) -> None:
    meter = await meter_of(cis, facts.account_numbers[0])
    day = date.today() - timedelta(days=40)

    intervals = await read_day(cis, meter, day, IntervalLength.FIFTEEN_MINUTES, facts)

    assert intervals[0].start == local_midnight(day, facts)
    for previous, interval in itertools.pairwise(intervals):
        assert interval.start == previous.end
        assert elapsed(interval) == timedelta(minutes=15)
        assert interval.start.tzinfo is not None


async def test_net_meter_returns_energy_received(cis: CisAdapter, facts: ContractFacts) -> None:
    meter = await meter_of(cis, facts.net_metered_account)
    start = local_midnight(date.today() - timedelta(days=60), facts)
    end = start + timedelta(days=30)

    days = (await cis.get_usage([meter], start, end, IntervalLength.DAILY))[meter]

    assert len(days) == 30
    delivered, received = totals(days)
    assert delivered > 0
    assert received > 0


async def test_intervals_run_up_to_now_and_not_beyond(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    meter = await meter_of(cis, facts.account_numbers[0])
    asked_at = datetime.now(facts.time_zone)

    usage = await cis.get_usage(
        [meter, facts.unknown_key],
        asked_at - timedelta(hours=3),
        asked_at + timedelta(days=2),
        IntervalLength.FIFTEEN_MINUTES,
    )

    answered_at = datetime.now(facts.time_zone)
    assert set(usage) == {meter}
    assert usage[meter], "three hours of 15-minute data should be there"
    assert all(interval.end <= answered_at for interval in usage[meter])
    # The newest complete quarter-hour is there (a CIS may lag a little behind its meters).
    assert usage[meter][-1].end > asked_at - timedelta(minutes=30)
