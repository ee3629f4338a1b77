"""An account's usage and its price worked out by the tests themselves, straight from the
simulated CIS's intervals and rate schedule: what the gateway's figures are checked against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.records import IntervalLength, RateSchedule
from tests.schema.harness import demo_cooperative

ZONE = demo_cooperative().time_zone
CENT = Decimal("0.01")
KWH = Decimal("0.001")


@dataclass(frozen=True)
class Reading:
    start: datetime  # local
    delivered: Decimal
    received: Decimal

    @property
    def net(self) -> Decimal:
        return self.delivered - self.received


def today() -> date:
    return datetime.now(UTC).astimezone(ZONE).date()


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), ZONE)


def cents(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


async def readings(
    cis: SimulatedCis, account: str, first: date, last: date, length: IntervalLength
) -> list[Reading]:
    """The account's intervals starting on local days [first, last], summed over its meters."""
    locations = (await cis.get_service_locations([account]))[account]
    meters = [meter for location in locations for meter in location.meter_numbers]
    found = await cis.get_usage(meters, midnight(first), midnight(last + timedelta(days=1)), length)
    summed: dict[datetime, Reading] = {}
    for interval in (interval for intervals in found.values() for interval in intervals):
        key = interval.start.astimezone(UTC)
        before = summed.get(key, Reading(interval.start.astimezone(ZONE), Decimal(0), Decimal(0)))
        summed[key] = Reading(
            before.start,
            before.delivered + interval.kwh_delivered,
            before.received + interval.kwh_received,
        )
    return [summed[key] for key in sorted(summed)]


async def rate_of(cis: SimulatedCis, account: str) -> RateSchedule:
    return (await cis.get_rate_schedules([account]))[account]


def hour_price(rate: RateSchedule, start: datetime) -> Decimal:
    """The energy charge of the hour ``start`` begins, as the rate schedule reads."""
    for period in rate.time_of_use_periods:
        applies = start.weekday() < 5 or not period.weekdays_only
        if applies and period.start_hour <= start.hour < period.end_hour:
            return period.energy_charge_per_kwh
    return rate.energy_charge_per_kwh


async def day_costs(cis: SimulatedCis, account: str, first: date, last: date) -> list[Decimal]:
    """Each measured day's fixed charge plus its hours' net energy at their charges."""
    rate = await rate_of(cis, account)
    hours = await readings(cis, account, first, last, IntervalLength.HOURLY)
    days = await readings(cis, account, first, last, IntervalLength.DAILY)
    energy: dict[date, Decimal] = {}
    for hour in hours:
        day = hour.start.date()
        energy[day] = energy.get(day, Decimal(0)) + hour.net * hour_price(rate, hour.start)
    return [rate.fixed_daily_charge + energy[day.start.date()] for day in days]
