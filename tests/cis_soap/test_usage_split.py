"""How the SOAP adapter sizes usage calls so that none asks for more intervals than the CIS
serves (``operations.MAX_USAGE_INTERVALS``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.cis_soap.operations import FAULT_RANGE_TOO_LARGE, MAX_USAGE_INTERVALS
from adapters.cis_soap.usage_split import intervals_per_meter, meters_per_call
from adapters.errors import CisFault
from adapters.records import IntervalLength

CHICAGO = ZoneInfo("America/Chicago")
START = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("end", "length", "count"),
    [
        (START + timedelta(days=1), IntervalLength.FIFTEEN_MINUTES, 96),
        (START + timedelta(days=1, minutes=1), IntervalLength.FIFTEEN_MINUTES, 97),  # rounded up
        (START + timedelta(days=2), IntervalLength.HOURLY, 48),
        (START + timedelta(days=365), IntervalLength.DAILY, 365),
        (START + timedelta(hours=1), IntervalLength.DAILY, 1),
    ],
)
def test_intervals_per_meter_round_up(end: datetime, length: IntervalLength, count: int) -> None:
    assert intervals_per_meter(START, end, length) == count


def test_a_dst_day_is_counted_by_the_time_that_passes() -> None:
    # 2024-03-10 in Chicago lasts 23 hours: 92 quarter-hours, however its wall clock reads.
    start, end = datetime(2024, 3, 10, tzinfo=CHICAGO), datetime(2024, 3, 11, tzinfo=CHICAGO)
    assert intervals_per_meter(start, end, IntervalLength.FIFTEEN_MINUTES) == 92
    assert intervals_per_meter(start, end, IntervalLength.DAILY) == 1
    long_day = datetime(2024, 11, 3, tzinfo=CHICAGO), datetime(2024, 11, 4, tzinfo=CHICAGO)
    assert intervals_per_meter(*long_day, IntervalLength.HOURLY) == 25
    assert intervals_per_meter(*long_day, IntervalLength.DAILY) == 2  # an upper bound


@pytest.mark.parametrize(
    ("days", "length", "meters"),
    [
        (1, IntervalLength.FIFTEEN_MINUTES, 500),  # the batch size bounds it
        (365, IntervalLength.FIFTEEN_MINUTES, 2),  # 35,040 intervals a meter
        (365, IntervalLength.HOURLY, 11),  # 8,760
        (365 * 3, IntervalLength.DAILY, 91),  # 1,095
        (1041, IntervalLength.FIFTEEN_MINUTES, 1),  # 99,936: one meter just fits
    ],
)
def test_meters_per_call_keep_each_call_under_the_cap(
    days: int, length: IntervalLength, meters: int
) -> None:
    end = START + timedelta(days=days)
    assert meters_per_call(START, end, length, 500) == meters
    assert meters * intervals_per_meter(START, end, length) <= MAX_USAGE_INTERVALS
    if meters < 500:  # one more meter would be too many
        assert (meters + 1) * intervals_per_meter(START, end, length) > MAX_USAGE_INTERVALS


def test_the_configured_batch_size_bounds_meters_per_call() -> None:
    end = START + timedelta(days=1)
    assert meters_per_call(START, end, IntervalLength.DAILY, 20) == 20


def test_a_window_too_long_for_one_meter_is_refused() -> None:
    end = START + timedelta(days=1042)  # 100,032 quarter-hours
    with pytest.raises(CisFault) as raised:
        meters_per_call(START, end, IntervalLength.FIFTEEN_MINUTES, 500)
    assert (raised.value.code, raised.value.subject) == (FAULT_RANGE_TOO_LARGE, "end")
    assert "100032 FifteenMinutes intervals for one meter" in raised.value.reason


def test_an_empty_window_is_left_for_the_cis_to_refuse() -> None:
    assert meters_per_call(START, START, IntervalLength.HOURLY, 500) == 500
    assert meters_per_call(START, START - timedelta(days=9), IntervalLength.HOURLY, 500) == 500
