"""Figures of a period of the co-op's local days, from an account's daily usage
(``resolvers.usage``): totals, daily averages, the peak day, and the estimated cost.

Averages are over the days measured: a day counts once it is over and read, so a period
reaching today, or before the meter was installed, averages what there is.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from gateway.context import RequestContext
from resolvers.periods import local_today, month_start, years_before
from resolvers.usage import MAX_DAYS, Resolution, UsageRow, account_usage, days_window

KWH = Decimal("0.001")  # the CIS's resolution: averages are rounded to it

Days = tuple[date, date]  # the first and last local day of a period


def year_earlier(first: date, last: date) -> Days:
    """The same days a year earlier (28 February stands for a 29th)."""
    return years_before(first, 1), years_before(last, 1)


@dataclass(frozen=True, slots=True)
class Totals:
    delivered: Decimal
    received: Decimal

    @property
    def net(self) -> Decimal:
        return self.delivered - self.received

    def per_day(self, days: int) -> Totals:
        return Totals((self.delivered / days).quantize(KWH), (self.received / days).quantize(KWH))


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    """What an account used over local days [first, last]; ``days`` are those measured."""

    account_number: str
    first: date
    last: date
    days: list[UsageRow]

    @property
    def total(self) -> Totals:
        return Totals(
            sum((day.kwh_delivered for day in self.days), Decimal(0)),
            sum((day.kwh_received for day in self.days), Decimal(0)),
        )

    @property
    def average_per_day(self) -> Totals | None:
        return self.total.per_day(len(self.days)) if self.days else None

    @property
    def estimated_cost(self) -> Decimal | None:
        """None without a rate schedule (then no day has a cost)."""
        costs = [day.estimated_cost for day in self.days if day.estimated_cost is not None]
        return sum(costs, Decimal(0)) if costs else None

    @property
    def average_daily_estimated_cost(self) -> Decimal | None:
        cost = self.estimated_cost
        return None if cost is None else cost / len(self.days)

    @property
    def peak_day(self) -> UsageRow | None:
        """The day the most energy was delivered (drawn from the grid); the first of equals."""
        return _peak(self.days)


async def whole_period(
    context: RequestContext, account_number: str, first: date, last: date
) -> PeriodFigures:
    """The figures of [first, last], read in one window: a period a member asked (at most
    the DAILY limit), or the same days a year earlier, which may have a 29 February more."""
    window = days_window(context, first, last, Resolution.DAILY)
    days = await account_usage(context, account_number, window, Resolution.DAILY)
    return PeriodFigures(account_number, first, last, days)


async def period_by_quarters(
    context: RequestContext, account_number: str, first: date, last: date
) -> PeriodFigures:
    """The figures of [first, last], read in calendar quarters of local days: periods near
    each other (the comparisons of a list of markers) ask the same windows, which the
    request's DataLoaders read once per account and batch for accounts asked together.
    Days after today are not asked."""
    quarters = _quarters(first, min(last, local_today(context)))
    read = await asyncio.gather(
        *(
            account_usage(
                context,
                account_number,
                days_window(context, start, end, Resolution.DAILY),
                Resolution.DAILY,
            )
            for start, end in quarters
        )
    )
    days = [day for rows in read for day in rows if first <= day.start.date() <= last]
    return PeriodFigures(account_number, first, last, days)


def peak_resolution(first: date, last: date) -> Resolution:
    """The finest resolution whose range limit the period fits in."""
    days = (last - first).days + 1
    for resolution in (Resolution.FIFTEEN_MINUTES, Resolution.HOURLY):
        if days <= MAX_DAYS[resolution]:
            return resolution
    return Resolution.DAILY


async def peak_interval(
    context: RequestContext, figures: PeriodFigures
) -> tuple[UsageRow, Resolution] | None:
    """The interval the most energy was delivered in, at ``peak_resolution``."""
    resolution = peak_resolution(figures.first, figures.last)
    rows = figures.days
    if resolution is not Resolution.DAILY:
        window = days_window(context, figures.first, figures.last, resolution)
        rows = await account_usage(context, figures.account_number, window, resolution)
    peak = _peak(rows)
    return None if peak is None else (peak, resolution)


def _peak(rows: list[UsageRow]) -> UsageRow | None:
    return max(rows, key=lambda row: row.kwh_delivered, default=None)


def _quarters(first: date, last: date) -> list[Days]:
    """The calendar quarters from ``first``'s to ``last``'s, each as its first and last day."""
    quarters: list[Days] = []
    start = month_start(first, -((first.month - 1) % 3))
    while start <= last:
        following = month_start(start, 3)
        quarters.append((start, following - timedelta(days=1)))
        start = following
    return quarters
