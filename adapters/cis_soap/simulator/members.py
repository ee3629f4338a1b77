"""The co-op's ordinary members, each generated on its own from the seed and its number.

Most members are households (some with a shop, a well, a barn or a lake cabin), about
one in ten farms with pivots, barns and bins, and a few town businesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from adapters.cis_soap.simulator import loads, rates
from adapters.cis_soap.simulator.hashing import between, chance, mix, pick
from adapters.cis_soap.simulator.places import (
    AREA_CODE,
    BUSINESS_KINDS,
    FIRST_NAMES,
    LAST_NAMES,
    TOWN_BY_NAME,
    TOWN_STREETS,
    WEIGHTED_TOWNS,
    Town,
)
from adapters.cis_soap.simulator.specs import (
    AccountSpec,
    PayerHabit,
    Service,
    feeder_of,
    make_account,
    place_near,
    town_address,
)
from adapters.records import Customer, MeterKind

READ_DAYS = (1, 5, 8, 12, 15, 19, 22, 26)
_HABITS = (
    (PayerHabit.ON_TIME, 600),
    (PayerHabit.AUTOPAY, 220),
    (PayerHabit.LATE, 90),
    (PayerHabit.PARTIAL, 60),
    (PayerHabit.DELINQUENT, 30),
)
_SALT_MEMBER, _SALT_ACCOUNT, _SALT_SERVICE = 41, 42, 43
_TOWN_SPREAD, _RURAL_SPREAD = 8_000, 120_000


@dataclass(frozen=True, slots=True)
class Member:
    customer: Customer
    accounts: tuple[AccountSpec, ...]


def customer_id_of(index: int) -> str:
    return f"C{100000 + index}"


def generate_member(seed: int, index: int, today: date) -> Member:
    hashed = mix(seed, index, _SALT_MEMBER)
    town = pick(WEIGHTED_TOWNS, hashed)
    first_name = pick(FIRST_NAMES, hashed >> 8)
    last_name = pick(LAST_NAMES, hashed >> 16)
    kind = between(0, 99, hashed >> 24)
    rural = kind >= 84 or chance(400, hashed >> 32)
    home = _address_line(rural, seed, index)
    if kind < 84:
        services = _household(seed, index, town, home, rural)
    elif kind < 94:
        services = _farm(seed, index, town, home)
    else:
        services = _business(seed, index, town, last_name)
        first_name, last_name = "", f"{last_name} {pick(BUSINESS_KINDS, hashed >> 40)}"
    customer = Customer(
        customer_id=customer_id_of(index),
        last_name=f"{last_name} LLC" if not first_name else last_name,
        billing_address=town_address(home, town) if first_name else services[0][0].address,
        first_name=first_name or None,
        dba_name=None if first_name else last_name,
        email=_email(index, first_name or "office", last_name, hashed),
        home_phone=_phone(hashed >> 44) if first_name and chance(750, hashed >> 3) else None,
        day_phone=_phone(hashed >> 50) if chance(400, hashed >> 5) else None,
    )
    accounts = tuple(
        _account(seed, index, number, customer.customer_id, service, rate_code, today)
        for number, (service, rate_code) in enumerate(services, start=1)
    )
    return Member(customer, accounts)


def _account(
    seed: int,
    index: int,
    number: int,
    customer_id: str,
    service: Service,
    rate_code: str,
    today: date,
) -> AccountSpec:
    hashed = mix(seed, index, number, _SALT_ACCOUNT)
    closed = number > 1 and chance(50, hashed)
    return make_account(
        f"{100000 + index}{number:02d}",
        customer_id,
        (service,),
        today=today,
        read_day=pick(READ_DAYS, hashed >> 8),
        rate_code=rate_code,
        # A closed account settled its final bill.
        habit=PayerHabit.ON_TIME if closed else _habit(hashed >> 16),
        budget_bill=rate_code == rates.RESIDENTIAL and chance(60, hashed >> 24),
        closed_periods_ago=between(1, 12, hashed >> 32) if closed else 0,
    )


def _habit(hashed: int) -> PayerHabit:
    roll = hashed % 1000
    for habit, share in _HABITS:
        if roll < share:
            return habit
        roll -= share
    return PayerHabit.ON_TIME


_Services = list[tuple[Service, str]]


def _household(seed: int, index: int, town: Town, home: str, rural: bool) -> _Services:
    hashed = mix(seed, index, _SALT_SERVICE)
    solar_kw = between(4, 9, hashed >> 8) if chance(25, hashed) else 0
    rate_code = rates.RESIDENTIAL_TOU if chance(6, hashed >> 4) else rates.RESIDENTIAL
    services = [
        (
            _service(seed, index, 1, town, home, rural, "Residential", loads.HOME, solar_kw),
            rate_code,
        ),
    ]
    extras = (
        ("Residential", loads.FARM_SHOP, rates.RESIDENTIAL),
        ("Farm", loads.STOCK_WELL, rates.FARM),
        ("Farm", loads.LIVESTOCK_BARN, rates.FARM),
        ("Seasonal", loads.CABIN, rates.SEASONAL),
    )
    for number in range(2, 2 + between(0, 9, hashed >> 16) // 6 + between(0, 9, hashed >> 24) // 9):
        revenue_class, shape, code = pick(extras, hashed >> (number * 5))
        lake = TOWN_BY_NAME["Arnold"] if shape is loads.CABIN else town
        line1 = _address_line(True, seed, index, number)
        services.append(
            (_service(seed, index, number, lake, line1, True, revenue_class, shape), code)
        )
    return services


def _farm(seed: int, index: int, town: Town, home: str) -> _Services:
    hashed = mix(seed, index, _SALT_SERVICE)
    services = [
        (_service(seed, index, 1, town, home, True, "Residential", loads.HOME), rates.RESIDENTIAL)
    ]
    farm_loads = (
        ("Farm", loads.LIVESTOCK_BARN, rates.FARM, 1),
        ("Irrigation", loads.IRRIGATION_PUMP, rates.IRRIGATION, 40),
        ("Farm", loads.GRAIN_AERATION, rates.FARM, 1),
        ("Farm", loads.FARM_SHOP, rates.FARM, 1),
        ("Farm", loads.STOCK_WELL, rates.FARM, 1),
        ("Grain Drying", loads.GRAIN_DRYER, rates.GRAIN_DRYING, 40),
    )
    for number in range(2, 3 + between(0, 3, hashed >> 8)):
        revenue_class, shape, code, multiplier = pick(farm_loads, hashed >> (number * 6))
        line1 = _address_line(True, seed, index, number)
        service = _service(
            seed, index, number, town, line1, True, revenue_class, shape, multiplier=multiplier
        )
        services.append((service, code))
    return services


def _business(seed: int, index: int, town: Town, name: str) -> _Services:
    hashed = mix(seed, index, _SALT_SERVICE)
    return [
        (
            _service(
                seed,
                index,
                number,
                town,
                _address_line(False, seed, index, number),
                False,
                "Commercial",
                loads.BUSINESS,
                multiplier=pick((1, 1, 20), hashed >> 20),
            ),
            rates.GENERAL_SERVICE,
        )
        for number in range(1, 2 + between(0, 9, hashed >> 8) // 7)
    ]


def _service(
    seed: int,
    index: int,
    number: int,
    town: Town,
    line1: str,
    rural: bool,
    revenue_class: str,
    shape: loads.LoadShape,
    solar_kw: int = 0,
    multiplier: int = 1,
) -> Service:
    hashed = mix(seed, index, number, _SALT_SERVICE)
    return Service(
        address=town_address(line1, town),
        revenue_class=revenue_class,
        gps=place_near(town, _RURAL_SPREAD if rural else _TOWN_SPREAD, seed, index, number),
        feeder=feeder_of(town, seed, index, number),
        shape=shape,
        scale=between(600, 1600, hashed),
        multiplier=multiplier,
        kind=MeterKind.AMR if chance(40, hashed >> 12) else MeterKind.AMI,
        solar_kw=solar_kw,
    )


def _address_line(rural: bool, *salt: int) -> str:
    hashed = mix(_SALT_MEMBER, rural, *salt)
    if rural:
        return f"{between(40000, 47999, hashed)} Road {between(700, 899, hashed >> 16)}"
    return f"{between(100, 1999, hashed)} {pick(TOWN_STREETS, hashed >> 16)}"


def _email(index: int, first: str, last: str, hashed: int) -> str | None:
    if not chance(880, hashed >> 11):
        return None
    local = f"{first}.{last}".lower().replace(" ", "").replace("&", "")
    return f"{local}{index}@example.net"


def _phone(hashed: int) -> str:
    return f"{AREA_CODE}-{between(200, 999, hashed)}-{between(0, 9999, hashed >> 12):04d}"
