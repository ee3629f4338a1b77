"""What the simulator knows about an account before anything is computed from it.

Specs are the static part of the co-op's books: who pays for which services where,
on which rate and cycle, and how the member tends to pay. Usage, bills, balances and
outage state are derived from them on demand.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from adapters.cis_soap.simulator import cycles
from adapters.cis_soap.simulator.hashing import between, mix, pick
from adapters.cis_soap.simulator.loads import LoadShape
from adapters.cis_soap.simulator.places import STATE, Town
from adapters.cis_soap.simulator.usage import MeterProfile
from adapters.records import Address, GeoPoint, Meter, MeterKind

SERVICE_TYPE = "Electric"
_SALT_FEEDER, _SALT_GPS = 31, 32


class PayerHabit(enum.Enum):
    ON_TIME = "on time"  # pays the bill in full before it is due
    AUTOPAY = "autopay"  # drafted in full on the due date
    PARTIAL = "partial"  # pays part of most bills, catching up now and then
    LATE = "late"  # pays in full, after the due date
    DELINQUENT = "delinquent"  # has stopped paying its recent bills


@dataclass(frozen=True, slots=True)
class Feeder:
    substation: str
    name: str


@dataclass(frozen=True, slots=True)
class Service:
    """One metered service an account pays for, as a generator describes it."""

    address: Address
    revenue_class: str
    gps: GeoPoint
    feeder: Feeder
    shape: LoadShape
    scale: int = 1000
    multiplier: int = 1
    kind: MeterKind = MeterKind.AMI
    solar_kw: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class MeterSpec:
    record: Meter
    profile: MeterProfile


@dataclass(frozen=True, slots=True, eq=False)
class LocationSpec:
    service_location_id: str
    account_number: str
    service_address: Address
    revenue_class: str
    gps: GeoPoint
    feeder: Feeder
    meters: tuple[MeterSpec, ...]


@dataclass(frozen=True, slots=True, eq=False)
class AccountSpec:
    account_number: str
    customer_id: str
    read_day: int
    rate_code: str
    habit: PayerHabit
    budget_bill: bool
    first_period: int  # oldest billed period
    last_period: int  # newest period billed so far, or the final one of a closed account
    closed: bool
    locations: tuple[LocationSpec, ...]

    @property
    def billing_cycle(self) -> str:
        return f"C{self.read_day:02d}"


def make_account(
    account_number: str,
    customer_id: str,
    services: tuple[Service, ...],
    *,
    today: date,
    read_day: int,
    rate_code: str,
    habit: PayerHabit,
    budget_bill: bool = False,
    closed_periods_ago: int = 0,
) -> AccountSpec:
    """An account whose meters were installed at the start of its billing history.

    A closed account (``closed_periods_ago`` > 0) stopped that many periods before the
    newest billed one; its meters were read for the last time at the end of that period.
    """
    newest = cycles.last_billed_period(read_day, today)
    first_period = newest - cycles.HISTORY_MONTHS + 1
    last_period = newest - closed_periods_ago
    installed = cycles.period_bounds(read_day, first_period)[0]
    removed = cycles.period_bounds(read_day, last_period)[1] if closed_periods_ago else None
    locations = []
    for number, service in enumerate(services, start=1):
        location_id = f"SL{account_number}-{number}"
        meter_number = f"M{account_number}-{number}"
        profile = MeterProfile(
            key=int(account_number) * 10 + number,
            read_day=read_day,
            multiplier=service.multiplier,
            shape=service.shape,
            scale=service.scale,
            solar_kw=service.solar_kw,
            installed=installed,
            removed=removed,
        )
        meter = Meter(
            meter_number=meter_number,
            service_location_id=location_id,
            kind=service.kind,
            is_net_metered=service.solar_kw > 0,
            multiplier=Decimal(service.multiplier),
        )
        locations.append(
            LocationSpec(
                service_location_id=location_id,
                account_number=account_number,
                service_address=service.address,
                revenue_class=service.revenue_class,
                gps=service.gps,
                feeder=service.feeder,
                meters=(MeterSpec(meter, profile),),
            )
        )
    return AccountSpec(
        account_number=account_number,
        customer_id=customer_id,
        read_day=read_day,
        rate_code=rate_code,
        habit=habit,
        budget_bill=budget_bill,
        first_period=first_period,
        last_period=last_period,
        closed=closed_periods_ago > 0,
        locations=tuple(locations),
    )


def town_address(line1: str, town: Town, line2: str | None = None) -> Address:
    return Address(
        line1=line1, city=town.name, state=STATE, postal_code=town.postal_code, line2=line2
    )


def place_near(town: Town, spread: int, *salt: int) -> GeoPoint:
    """A point within ``spread`` micro-degrees of the town, chosen by ``salt``."""
    hashed = mix(_SALT_GPS, *salt)
    latitude = town.latitude + between(-spread, spread, hashed)
    longitude = town.longitude + between(-spread, spread, hashed >> 32)
    return GeoPoint(Decimal(latitude).scaleb(-6), Decimal(longitude).scaleb(-6))


def feeder_of(town: Town, *salt: int) -> Feeder:
    number = pick(range(1, town.feeder_count + 1), mix(_SALT_FEEDER, *salt))
    return Feeder(town.substation, f"{town.feeder_prefix}-{number}")
