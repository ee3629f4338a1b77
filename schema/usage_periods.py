"""Usage over a period of local days: what `Account.usageSummary` and the comparisons of
usage markers answer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Self

import strawberry

from resolvers.usage import Resolution, usage_days
from resolvers.usage_periods import (
    PeriodFigures,
    Totals,
    peak_interval,
    whole_period,
    year_earlier,
)
from schema.fields import field
from schema.info import GatewayInfo
from schema.scalars import Money

ESTIMATE = (
    "An estimate from the rate schedule, as `UsageInterval.estimatedCost` (customer and energy"
    " charges; no power cost adjustment or taxes). Null without a rate schedule or a day"
    " measured."
)


@strawberry.type(description="Energy delivered to the member and received from them.")
class UsageTotals:
    kwh_delivered: Decimal = strawberry.field(name="kWhDelivered")
    kwh_received: Decimal = strawberry.field(
        name="kWhReceived", description="Sent to the grid (net-metered solar, say)."
    )
    net: Decimal = strawberry.field(description="kWhDelivered minus kWhReceived.")

    @classmethod
    def of(cls, totals: Totals) -> UsageTotals:
        return cls(kwh_delivered=totals.delivered, kwh_received=totals.received, net=totals.net)


@strawberry.type(description="The local day the most energy was delivered on.")
class UsagePeakDay:
    date: date
    kwh_delivered: Decimal = strawberry.field(name="kWhDelivered")


@strawberry.type(description="The interval the most energy was delivered in.")
class UsagePeakInterval:
    start: datetime
    end: datetime
    resolution: Resolution = strawberry.field(
        description=(
            "FIFTEEN_MINUTES for periods up to 31 days, HOURLY up to 92, else DAILY: the finest"
            " the usage ranges allow."
        )
    )
    kwh_delivered: Decimal = strawberry.field(name="kWhDelivered")


@strawberry.type(
    description=(
        "Usage over the co-op's local days [from, to]. Averages are over the days measured"
        " (a day counts once it is over and read), to the watt-hour."
    )
)
class UsagePeriod:
    from_: date = strawberry.field(name="from")
    to: date
    days_measured: int
    total: UsageTotals
    average_per_day: UsageTotals | None = strawberry.field(
        description="Null when no day was measured."
    )
    estimated_cost: Money | None = strawberry.field(description=ESTIMATE)
    average_daily_estimated_cost: Money | None = strawberry.field(description=ESTIMATE)
    figures: strawberry.Private[PeriodFigures]

    @classmethod
    def of(cls, figures: PeriodFigures) -> Self:
        average, cost = figures.average_per_day, figures.estimated_cost
        daily_cost = figures.average_daily_estimated_cost
        return cls(
            from_=figures.first,
            to=figures.last,
            days_measured=len(figures.days),
            total=UsageTotals.of(figures.total),
            average_per_day=None if average is None else UsageTotals.of(average),
            estimated_cost=None if cost is None else Money(cost),
            average_daily_estimated_cost=None if daily_cost is None else Money(daily_cost),
            figures=figures,
        )


@strawberry.type(description="A period's figures with its peaks.")
class UsageSummaryPeriod(UsagePeriod):
    @field("The local day the most energy was delivered on; null when none was measured.")
    def peak_day(self) -> UsagePeakDay | None:
        peak = self.figures.peak_day
        if peak is None:
            return None
        return UsagePeakDay(date=peak.start.date(), kwh_delivered=peak.kwh_delivered)

    @field("The interval the most energy was delivered in; null when none was measured.")
    async def peak_interval(self, info: GatewayInfo) -> UsagePeakInterval | None:
        found = await peak_interval(info.context, self.figures)
        if found is None:
            return None
        row, resolution = found
        return UsagePeakInterval(
            start=row.start, end=row.end, resolution=resolution, kwh_delivered=row.kwh_delivered
        )


@strawberry.type(description="Usage over a period, and over the same days a year earlier.")
class UsageSummary(UsageSummaryPeriod):
    @field("The same local days a year earlier (28 February stands for a 29th).")
    async def year_earlier(self, info: GatewayInfo) -> UsageSummaryPeriod | None:
        earlier = year_earlier(self.figures.first, self.figures.last)
        figures = await whole_period(info.context, self.figures.account_number, *earlier)
        return UsageSummaryPeriod.of(figures)


async def usage_summary(
    info: GatewayInfo, account_number: str, first: date | None, last: date | None
) -> UsageSummary:
    first, last = usage_days(info.context, first, last, Resolution.DAILY)
    return UsageSummary.of(await whole_period(info.context, account_number, first, last))
