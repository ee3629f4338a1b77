"""Metered usage and the rate it is billed on."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from adapters import records
from resolvers.usage import Resolution, UsageRow
from schema.enums import ReadingQuality
from schema.scalars import Money

UsageResolution = strawberry.enum(
    Resolution,
    name="UsageResolution",
    description="MONTHLY sums the co-op's local days of each calendar month.",
)


@strawberry.type(description="Usage in one interval, summed over the account's meters.")
class UsageInterval:
    start: datetime
    end: datetime
    kwh_delivered: Decimal = strawberry.field(name="kWhDelivered")
    kwh_received: Decimal = strawberry.field(
        name="kWhReceived", description="Sent to the grid (net-metered solar, say)."
    )
    net: Decimal = strawberry.field(description="kWhDelivered minus kWhReceived.")
    quality: ReadingQuality = strawberry.field(description="The worst reading in the sum.")
    estimated_cost: Money | None = strawberry.field(
        description=(
            "An estimate, not a bill: net kWh at the rate's energy charge (by the time-of-use"
            " period each hour starts in), plus the fixed daily charge per day for DAILY and"
            " MONTHLY. Over a billed period it adds up to the bill's customer and energy"
            " charges; power cost adjustments and taxes are not in it. Null without a rate"
            " schedule."
        )
    )

    @classmethod
    def from_row(cls, row: UsageRow) -> UsageInterval:
        return cls(
            start=row.start,
            end=row.end,
            kwh_delivered=row.kwh_delivered,
            kwh_received=row.kwh_received,
            net=row.net,
            quality=row.quality,
            estimated_cost=None if row.estimated_cost is None else Money(row.estimated_cost),
        )


@strawberry.type(description="Local hours [startHour, endHour) billed at their own charge.")
class TimeOfUsePeriod:
    name: str
    start_hour: int
    end_hour: int
    weekdays_only: bool
    energy_charge_per_kwh: Decimal = strawberry.field(description="Dollars per kWh.")


@strawberry.type
class Rate:
    code: str
    name: str
    fixed_daily_charge: Decimal = strawberry.field(description="Dollars per day.")
    energy_charge_per_kwh: Decimal = strawberry.field(
        description="Dollars per kWh outside every time-of-use period."
    )
    time_of_use_periods: list[TimeOfUsePeriod]

    @classmethod
    def from_record(cls, rate: records.RateSchedule) -> Rate:
        return cls(
            code=rate.rate_code,
            name=rate.name,
            fixed_daily_charge=rate.fixed_daily_charge,
            energy_charge_per_kwh=rate.energy_charge_per_kwh,
            time_of_use_periods=[
                TimeOfUsePeriod(
                    name=period.name,
                    start_hour=period.start_hour,
                    end_hour=period.end_hour,
                    weekdays_only=period.weekdays_only,
                    energy_charge_per_kwh=period.energy_charge_per_kwh,
                )
                for period in rate.time_of_use_periods
            ],
        )
