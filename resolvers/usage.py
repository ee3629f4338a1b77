"""An account's metered usage over local days, summed over its meters, with estimated cost.

Usage days are the co-op's local days: a window runs from local midnight to local midnight,
so a DST day has 23 or 25 hourly intervals. MONTHLY sums the local days of each calendar
month (read as DAILY intervals). The cost is an estimate from the account's rate schedule,
priced as the co-op's bills price energy: net kWh (delivered minus received) at the energy
charge of the time-of-use period the interval starts in, plus the fixed daily charge for
each whole day (DAILY and MONTHLY only). A day cannot be split by hour, so on a time-of-use
rate a day's energy is priced from that day's hourly intervals, read alongside; over a
billed period the estimate then adds up to the bill's customer and energy charges (not its
power cost adjustment or taxes, which the rate schedule does not give).
"""

from __future__ import annotations

import asyncio
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from adapters.records import IntervalLength, RateSchedule, ReadingQuality, UsageInterval
from gateway.context import RequestContext
from resolvers.loaders import UsageWindow
from resolvers.periods import check_order, local_midnight, local_today, month_start
from schema.errors import BadUserInput


class Resolution(enum.Enum):
    FIFTEEN_MINUTES = "FIFTEEN_MINUTES"
    HOURLY = "HOURLY"
    DAILY = "DAILY"
    MONTHLY = "MONTHLY"


# What each resolution reads from the CIS, how many local days it may span, and its default.
_READS = {
    Resolution.FIFTEEN_MINUTES: IntervalLength.FIFTEEN_MINUTES,
    Resolution.HOURLY: IntervalLength.HOURLY,
    Resolution.DAILY: IntervalLength.DAILY,
    Resolution.MONTHLY: IntervalLength.DAILY,
}
MAX_DAYS = {
    Resolution.FIFTEEN_MINUTES: 31,
    Resolution.HOURLY: 92,
    Resolution.DAILY: 731,
    Resolution.MONTHLY: 1096,
}
_DEFAULT_DAYS = {
    Resolution.FIFTEEN_MINUTES: 1,
    Resolution.HOURLY: 2,
    Resolution.DAILY: 30,
    Resolution.MONTHLY: 365,
}
# Worst first: a sum is as good as its worst reading.
_QUALITY_ORDER = (ReadingQuality.MISSING, ReadingQuality.ESTIMATED, ReadingQuality.ACTUAL)


@dataclass(frozen=True, slots=True)
class UsageRow:
    start: datetime
    end: datetime
    kwh_delivered: Decimal
    kwh_received: Decimal
    quality: ReadingQuality
    estimated_cost: Decimal | None  # None: no rate schedule, or not asked to be priced

    @property
    def net(self) -> Decimal:
        return self.kwh_delivered - self.kwh_received


# What pricing reads of a meter's interval or of intervals summed over meters.
Reading = UsageInterval | UsageRow


def usage_days(
    context: RequestContext, first: date | None, last: date | None, resolution: Resolution
) -> tuple[date, date]:
    """The first and last local day asked, defaults filled in (whole months for MONTHLY);
    BAD_USER_INPUT when the range is reversed or longer than the resolution allows."""
    last = local_today(context) if last is None else last
    first = last - timedelta(days=_DEFAULT_DAYS[resolution] - 1) if first is None else first
    check_order(first, last)
    if resolution is Resolution.MONTHLY:
        first = first.replace(day=1)
        last = month_start(last, 1) - timedelta(days=1)
    if (last - first).days + 1 > MAX_DAYS[resolution]:
        limit = MAX_DAYS[resolution]
        raise BadUserInput(f"{resolution.value} usage covers at most {limit} days per query")
    return first, last


def usage_window(
    context: RequestContext, first: date | None, last: date | None, resolution: Resolution
) -> UsageWindow:
    """The instants of the local days ``usage_days`` gives."""
    return days_window(context, *usage_days(context, first, last, resolution), resolution)


def days_window(
    context: RequestContext, first: date, last: date, resolution: Resolution
) -> UsageWindow:
    """The instants of the local days [first, last], however many: for periods the gateway
    makes up itself (calendar quarters, the same days a year earlier), which are not held
    to the range limit of a query (a year earlier may have a 29 February more)."""
    return UsageWindow(
        start=local_midnight(context, first),
        end=local_midnight(context, last + timedelta(days=1)),
        interval_length=_READS[resolution],
    )


async def account_usage(
    context: RequestContext,
    account_number: str,
    window: UsageWindow,
    resolution: Resolution,
    *,
    priced: bool = True,
) -> list[UsageRow]:
    """The account's usage in ``window``; without a cost when not ``priced`` (for a caller
    that does not show it) or when the account has no rate schedule."""
    loaders = context.loaders
    locations, rate = await asyncio.gather(
        loaders.service_locations.load(account_number),
        loaders.rate_schedules.load(account_number),
    )
    meters = [meter for location in locations for meter in location.meter_numbers]
    if rate is None or not priced:
        rows = await _summed_usage(context, meters, window)
    else:
        rows = await _priced_usage(context, meters, window, rate)
    return _by_month(rows) if resolution is Resolution.MONTHLY else rows


async def _summed_usage(
    context: RequestContext, meters: list[str], window: UsageWindow
) -> list[UsageRow]:
    """The window's intervals summed over the meters, oldest first, without a cost."""
    per_meter = await context.loaders.usage(window).load_many(meters)
    zone = context.cooperative.time_zone
    # Keyed in UTC: local times of the same zone compare by wall clock, so the two 1 a.m.
    # hours of a DST autumn day would be one key.
    by_start: dict[datetime, list[UsageInterval]] = {}
    for interval in (interval for intervals in per_meter for interval in intervals):
        by_start.setdefault(interval.start.astimezone(UTC), []).append(interval)
    return [_summed(intervals, zone) for _, intervals in sorted(by_start.items())]


async def _priced_usage(
    context: RequestContext, meters: list[str], window: UsageWindow, rate: RateSchedule
) -> list[UsageRow]:
    daily = window.interval_length is IntervalLength.DAILY
    if daily and rate.time_of_use_periods:
        # A day on a time-of-use rate is priced hour by hour, as its bill prices it.
        hourly = replace(window, interval_length=IntervalLength.HOURLY)
        days, hours = await asyncio.gather(
            _summed_usage(context, meters, window), _summed_usage(context, meters, hourly)
        )
        costs = day_costs(rate, days, hours, context.cooperative.time_zone)
        return [replace(day, estimated_cost=costs[day.start.date()]) for day in days]
    fixed = rate.fixed_daily_charge if daily else Decimal(0)
    rows = await _summed_usage(context, meters, window)
    return [replace(row, estimated_cost=_energy_cost(row, rate, row.start) + fixed) for row in rows]


def _summed(intervals: list[UsageInterval], zone: ZoneInfo) -> UsageRow:
    first = intervals[0]
    return UsageRow(
        start=first.start.astimezone(zone),
        end=first.end.astimezone(zone),
        kwh_delivered=sum((interval.kwh_delivered for interval in intervals), Decimal(0)),
        kwh_received=sum((interval.kwh_received for interval in intervals), Decimal(0)),
        quality=_worst(interval.quality for interval in intervals),
        estimated_cost=None,
    )


def day_costs(
    rate: RateSchedule, days: Sequence[Reading], hours: Iterable[Reading], zone: ZoneInfo
) -> dict[date, Decimal]:
    """The estimated cost of each local day ``days`` measure (whether one reading or one per
    meter): its net kWh at the energy charge, hour by hour from ``hours`` (the same days'
    hourly readings) on a time-of-use rate, else by the day; plus the fixed daily charge."""
    energy: dict[date, Decimal] = defaultdict(Decimal)
    for reading in hours if rate.time_of_use_periods else days:
        local_start = reading.start.astimezone(zone)
        energy[local_start.date()] += _energy_cost(reading, rate, local_start)
    measured = {day.start.astimezone(zone).date() for day in days}
    return {day: energy[day] + rate.fixed_daily_charge for day in measured}


def _energy_cost(reading: Reading, rate: RateSchedule, local_start: datetime) -> Decimal:
    """Net kWh at the energy charge of the time-of-use period ``local_start`` falls in."""
    return (reading.kwh_delivered - reading.kwh_received) * _energy_price(rate, local_start)


def _energy_price(rate: RateSchedule, local_start: datetime) -> Decimal:
    """The energy charge of the time-of-use period ``local_start`` falls in, else the base."""
    hour, weekend = local_start.hour, local_start.weekday() >= 5
    for period in rate.time_of_use_periods:
        if period.weekdays_only and weekend:
            continue
        if period.start_hour <= period.end_hour:
            inside = period.start_hour <= hour < period.end_hour
        else:  # a period over midnight, e.g. 22-6
            inside = hour >= period.start_hour or hour < period.end_hour
        if inside:
            return period.energy_charge_per_kwh
    return rate.energy_charge_per_kwh


def _by_month(days: list[UsageRow]) -> list[UsageRow]:
    months: dict[tuple[int, int], list[UsageRow]] = {}
    for day in days:
        months.setdefault((day.start.year, day.start.month), []).append(day)
    return [_month_of(rows) for rows in months.values()]


def _month_of(days: list[UsageRow]) -> UsageRow:
    costs = [day.estimated_cost for day in days if day.estimated_cost is not None]
    return UsageRow(
        start=days[0].start,
        end=days[-1].end,
        kwh_delivered=sum((day.kwh_delivered for day in days), Decimal(0)),
        kwh_received=sum((day.kwh_received for day in days), Decimal(0)),
        quality=_worst(day.quality for day in days),
        estimated_cost=sum(costs, Decimal(0)) if len(costs) == len(days) else None,
    )


def _worst(qualities: Iterable[ReadingQuality]) -> ReadingQuality:
    found = set(qualities)
    return next(quality for quality in _QUALITY_ORDER if quality in found)
