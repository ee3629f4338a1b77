"""Procedural interval usage: a pure function of the seed, the meter and the time.

Energy is decided top-down in integer watt-hours (0.001 kWh): a total per billing
period (seasonal formula and noise), split over the period's local days, and each day
over its quarter-hours by load-shape weights. Every split is exact, so an hour is the
sum of its quarter-hours, a day the sum of its intervals and a billing period the sum
of its days, with nothing stored. Splits are done in register units and multiplied by
the meter's multiplier: returned kWh are already multiplied.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate, pairwise
from zoneinfo import ZoneInfo

from adapters.cis_soap.simulator.cycles import period_bounds, period_index
from adapters.cis_soap.simulator.hashing import between, chance, mix
from adapters.cis_soap.simulator.loads import (
    NOISE_TABLE,
    SOLAR_CLOUD_NOISE,
    SOLAR_DAILY_YIELD,
    SOLAR_QUARTERS,
    LoadShape,
)
from adapters.records import IntervalLength, ReadingQuality, UsageInterval

QUARTER_HOUR = timedelta(minutes=15)
_SALT_PERIOD, _SALT_DAY, _SALT_QUARTERS, _SALT_ESTIMATED, _SALT_GAP = 11, 12, 13, 14, 15
_ESTIMATED_DAYS_PER_MILLE = 20
_GAP_DAYS_PER_MILLE = 8
_STANDARD_DAY = tuple(range(96))
_QUARTERS_PER_INTERVAL = {IntervalLength.FIFTEEN_MINUTES: 1, IntervalLength.HOURLY: 4}


class Flow(enum.IntEnum):
    DELIVERED = 1  # from the co-op to the member
    RECEIVED = 2  # from the member's generation back to the grid


@dataclass(frozen=True, slots=True, eq=False)
class MeterProfile:
    """What the usage model needs to know about one meter."""

    key: int  # stable number of the meter, the noise is keyed on it
    read_day: int  # day of month a billing period starts
    multiplier: int
    shape: LoadShape
    scale: int  # per-mille size of this service against its load shape
    solar_kw: int  # rooftop solar on a net meter; 0 for none
    installed: date  # first day measured
    removed: date | None = None  # last day measured, for meters of closed accounts


@dataclass(frozen=True, slots=True)
class DayReadings:
    """One local day of a meter in watt-hours per quarter-hour, already multiplied."""

    delivered: list[int]
    received: list[int]
    qualities: list[ReadingQuality]


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` in whole units; the parts sum to ``total``.

    Each part is the difference of rounded-down cumulative shares, so it is within one
    unit of its exact share and no remainder is ever lost.
    """
    cumulative = list(accumulate(weights))
    weight_sum = cumulative[-1] if cumulative else 0
    if weight_sum == 0:
        if total:
            raise ValueError("cannot allocate energy over zero weights")
        return [0] * len(weights)
    boundaries = [total * running // weight_sum for running in cumulative]
    return [high - low for low, high in pairwise([0, *boundaries])]


@lru_cache(maxsize=4096)
def day_boundaries(zone: ZoneInfo, day: date) -> tuple[datetime, ...]:
    """Starts of a local day's quarter-hours, and the next midnight (92, 96 or 100 + 1)."""
    first = datetime.combine(day, time(), zone).astimezone(UTC)
    last = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    count = (last - first) // QUARTER_HOUR
    return tuple((first + QUARTER_HOUR * index).astimezone(zone) for index in range(count + 1))


@lru_cache(maxsize=4096)
def day_slots(zone: ZoneInfo, day: date) -> tuple[int, ...]:
    """The local quarter-of-day (0-95) of each quarter-hour; DST days skip or repeat some."""
    midnight = datetime.combine(day, time(), zone)
    following = datetime.combine(day + timedelta(days=1), time(), zone)
    if following.astimezone(UTC) - midnight.astimezone(UTC) == timedelta(days=1):
        return _STANDARD_DAY
    starts = day_boundaries(zone, day)[:-1]
    return tuple(start.hour * 4 + start.minute // 15 for start in starts)


def _watt_hours(value: int) -> Decimal:
    return Decimal(value).scaleb(-3)


def _combined(qualities: Sequence[ReadingQuality]) -> ReadingQuality:
    if all(quality is ReadingQuality.ACTUAL for quality in qualities):
        return ReadingQuality.ACTUAL
    if all(quality is ReadingQuality.MISSING for quality in qualities):
        return ReadingQuality.MISSING
    return ReadingQuality.ESTIMATED


class UsageModel:
    """Computes any meter's usage on demand, caching the per-period day totals."""

    def __init__(self, seed: int, zone: ZoneInfo) -> None:
        self.seed = seed
        self.zone = zone
        self._day_totals: dict[tuple[int, int, Flow], tuple[int, ...]] = {}

    def period_total(self, meter: MeterProfile, index: int, flow: Flow) -> int:
        """Watt-hours of a whole billing period, already multiplied."""
        start, end = period_bounds(meter.read_day, index)
        return self._raw_period_total(meter, index, flow, start, end) * meter.multiplier

    def day_total(self, meter: MeterProfile, day: date, flow: Flow) -> int:
        return self._period_share(meter, day, flow) * meter.multiplier

    def readings(self, meter: MeterProfile, day: date) -> DayReadings:
        slots = day_slots(self.zone, day)
        gap = self._gap(meter, day, len(slots))
        mask = [0 if index in gap else 1 for index in range(len(slots))]
        offset = mix(self.seed, meter.key, day.toordinal(), _SALT_QUARTERS)
        stride = (offset >> 10) % 512 * 2 + 1
        noise = [NOISE_TABLE[(offset + index * stride) & 1023] for index in range(len(slots))]
        shape = meter.shape.quarter_weights
        weights = [
            shape[slot] * factor * keep
            for slot, factor, keep in zip(slots, noise, mask, strict=True)
        ]
        delivered = allocate(self._period_share(meter, day, Flow.DELIVERED), weights)
        received = [0] * len(slots)
        if meter.solar_kw:
            sun = SOLAR_QUARTERS[day.month - 1]
            received = allocate(
                self._period_share(meter, day, Flow.RECEIVED),
                [sun[slot] * keep for slot, keep in zip(slots, mask, strict=True)],
            )
        quality = ReadingQuality.ESTIMATED if self._estimated(meter, day) else ReadingQuality.ACTUAL
        return DayReadings(
            delivered=[value * meter.multiplier for value in delivered],
            received=[value * meter.multiplier for value in received],
            qualities=[quality if keep else ReadingQuality.MISSING for keep in mask],
        )

    def intervals(
        self,
        meter: MeterProfile,
        start: datetime,
        end: datetime,
        length: IntervalLength,
        now: datetime,
    ) -> tuple[UsageInterval, ...]:
        """Intervals starting in ``[start, end)`` and ending by ``now``, oldest first."""
        # Compare instants in UTC: within one zone Python compares wall-clock times, and
        # the hour repeated when daylight saving ends would compare equal to its twin.
        start, end, now = (instant.astimezone(UTC) for instant in (start, end, now))
        return tuple(
            interval
            for day in self._days(meter, start, min(end, now))
            for interval in self._day_intervals(meter, day, length)
            if start <= interval.start < end and interval.end <= now
        )

    def _days(self, meter: MeterProfile, start: datetime, end: datetime) -> Iterator[date]:
        if start >= end:
            return
        day = max(start.astimezone(self.zone).date(), meter.installed)
        last = (end - timedelta(microseconds=1)).astimezone(self.zone).date()
        if meter.removed is not None:
            last = min(last, meter.removed)
        while day <= last:
            yield day
            day += timedelta(days=1)

    def _day_intervals(
        self, meter: MeterProfile, day: date, length: IntervalLength
    ) -> list[UsageInterval]:
        bounds = day_boundaries(self.zone, day)
        if length is IntervalLength.DAILY:
            gap = self._gap(meter, day, len(bounds) - 1)
            estimated = bool(gap) or self._estimated(meter, day)
            return [
                UsageInterval(
                    start=bounds[0],
                    end=bounds[-1],
                    kwh_delivered=_watt_hours(self.day_total(meter, day, Flow.DELIVERED)),
                    kwh_received=_watt_hours(self.day_total(meter, day, Flow.RECEIVED)),
                    quality=ReadingQuality.ESTIMATED if estimated else ReadingQuality.ACTUAL,
                )
            ]
        readings = self.readings(meter, day)
        step = _QUARTERS_PER_INTERVAL[length]
        count = len(bounds) - 1
        return [
            UsageInterval(
                start=bounds[first],
                end=bounds[min(first + step, count)],
                kwh_delivered=_watt_hours(sum(readings.delivered[first : first + step])),
                kwh_received=_watt_hours(sum(readings.received[first : first + step])),
                quality=_combined(readings.qualities[first : first + step]),
            )
            for first in range(0, count, step)
        ]

    def _period_days(self, meter: MeterProfile, index: int, flow: Flow) -> tuple[int, ...]:
        """Register watt-hours of each local day of a billing period."""
        cache_key = (meter.key, index, flow)
        cached = self._day_totals.get(cache_key)
        if cached is not None:
            return cached
        if len(self._day_totals) > 200_000:
            self._day_totals.clear()
        start, end = period_bounds(meter.read_day, index)
        days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
        weights = [self._day_weight(meter, day, flow) for day in days]
        totals = tuple(allocate(self._raw_period_total(meter, index, flow, start, end), weights))
        self._day_totals[cache_key] = totals
        return totals

    def _period_share(self, meter: MeterProfile, day: date, flow: Flow) -> int:
        """A day's register watt-hours (before the multiplier)."""
        index = period_index(meter.read_day, day)
        start, _ = period_bounds(meter.read_day, index)
        return self._period_days(meter, index, flow)[(day - start).days]

    def _raw_period_total(
        self, meter: MeterProfile, index: int, flow: Flow, start: date, end: date
    ) -> int:
        if flow is Flow.RECEIVED and not meter.solar_kw:
            return 0
        # Per-mille-weighted days: each day counts by its month's factor.
        factors = meter.shape.monthly if flow is Flow.DELIVERED else SOLAR_DAILY_YIELD
        if start.month == end.month:
            weighted = ((end - start).days + 1) * factors[start.month - 1]
        else:
            month_end = date(end.year, end.month, 1) - timedelta(days=1)
            weighted = ((month_end - start).days + 1) * factors[start.month - 1]
            weighted += end.day * factors[end.month - 1]
        noise = between(850, 1150, mix(self.seed, meter.key, index, flow, _SALT_PERIOD))
        if flow is Flow.DELIVERED:
            energy = meter.shape.daily_kwh * meter.scale * weighted * noise // 1_000_000
        else:
            energy = meter.solar_kw * weighted * noise // 1000
        return energy // meter.multiplier

    def _day_weight(self, meter: MeterProfile, day: date, flow: Flow) -> int:
        hashed = mix(self.seed, meter.key, day.toordinal(), flow, _SALT_DAY)
        if flow is Flow.RECEIVED:
            return SOLAR_DAILY_YIELD[day.month - 1] * between(*SOLAR_CLOUD_NOISE, hashed)
        shape = meter.shape
        weekday_factor = shape.weekend if day.weekday() >= 5 else 1000
        return shape.monthly[day.month - 1] * weekday_factor * between(*shape.day_noise, hashed)

    def _estimated(self, meter: MeterProfile, day: date) -> bool:
        hashed = mix(self.seed, meter.key, day.toordinal(), _SALT_ESTIMATED)
        return chance(_ESTIMATED_DAYS_PER_MILLE, hashed)

    def _gap(self, meter: MeterProfile, day: date, count: int) -> range:
        """Quarter-hours a meter failed to report on ``day`` (rarely any, never all)."""
        hashed = mix(self.seed, meter.key, day.toordinal(), _SALT_GAP)
        if not chance(_GAP_DAYS_PER_MILLE, hashed):
            return range(0)
        length = between(1, 8, hashed >> 20)
        first = between(0, count - length, hashed >> 30)
        return range(first, first + length)
