"""The named demo customers, with stable IDs a demo or a test can rely on.

``demo@example.coop`` (customer C900001) holds three accounts: a home with rooftop
solar on a net meter billed time-of-use, a welding shop, and a lake cabin that is past
due (two unpaid bills past their due dates, aged 1-30 and 31-60 days) and inside an
active outage. ``farm@example.coop`` (customer C900002) is a farm with 60 accounts:
houses, barns, grain dryers (busy in autumn), bin aeration and 36 irrigation pivots
(busy in summer).
"""

from __future__ import annotations

from datetime import date, timedelta

from adapters.cis_soap.simulator import loads, rates
from adapters.cis_soap.simulator.hashing import between, mix
from adapters.cis_soap.simulator.members import Member
from adapters.cis_soap.simulator.places import TOWN_BY_NAME
from adapters.cis_soap.simulator.specs import (
    AccountSpec,
    Feeder,
    PayerHabit,
    Service,
    make_account,
    place_near,
    town_address,
)
from adapters.records import Customer

DEMO_EMAIL = "demo@example.coop"
FARM_EMAIL = "farm@example.coop"
DEMO_EMAILS = (DEMO_EMAIL, FARM_EMAIL)

DEMO_CUSTOMER_ID = "C900001"
FARM_CUSTOMER_ID = "C900002"
DEMO_CUSTOMER_IDS = (DEMO_CUSTOMER_ID, FARM_CUSTOMER_ID)

DEMO_LAST_NAME = "Rivera"
_BROKEN_BOW = TOWN_BY_NAME["Broken Bow"]  # the home's and the shop's town
DEMO_SHOP_POSTAL_CODE = _BROKEN_BOW.postal_code

DEMO_HOME_ACCOUNT = "90000101"
DEMO_SHOP_ACCOUNT = "90000102"
DEMO_CABIN_ACCOUNT = "90000103"
DEMO_ACCOUNTS = (DEMO_HOME_ACCOUNT, DEMO_SHOP_ACCOUNT, DEMO_CABIN_ACCOUNT)
FARM_ACCOUNTS = tuple(f"900002{number:02d}" for number in range(1, 61))

# Each demo account has one service location and one meter, named after the account.
DEMO_HOME_LOCATION = f"SL{DEMO_HOME_ACCOUNT}-1"
DEMO_HOME_METER = f"M{DEMO_HOME_ACCOUNT}-1"
DEMO_CABIN_LOCATION = f"SL{DEMO_CABIN_ACCOUNT}-1"
DEMO_OUTAGE_LOCATION = DEMO_CABIN_LOCATION

_SALT_FARM = 51
_FARM_READ_DAY = 15
_DEMO_READ_DAY = 8


def demo_members(seed: int, today: date) -> tuple[Member, Member]:
    return _demo_household(today), _farm(seed, today)


def _demo_household(today: date) -> Member:
    broken_bow, arnold = _BROKEN_BOW, TOWN_BY_NAME["Arnold"]
    home = town_address("1418 S 9th Ave", broken_bow)
    customer = Customer(
        customer_id=DEMO_CUSTOMER_ID,
        last_name=DEMO_LAST_NAME,
        billing_address=home,
        first_name="Dana",
        email=DEMO_EMAIL,
        home_phone="308-555-0142",
        day_phone="308-555-0199",
    )
    home_service = Service(
        home,
        "Residential",
        place_near(broken_bow, 8_000, 9001),
        Feeder("Broken Bow", "BB-2"),
        loads.HOME,
        scale=1300,
        solar_kw=6,
    )
    shop_service = Service(
        town_address("44780 Road 798", broken_bow, f"{DEMO_LAST_NAME} Welding & Repair"),
        "Commercial",
        place_near(broken_bow, 60_000, 9002),
        Feeder("Broken Bow", "BB-3"),
        loads.BUSINESS,
        scale=500,
    )
    cabin_service = Service(
        town_address("212 Lakeview Rd", arnold, "Lake cabin"),
        "Seasonal",
        place_near(arnold, 40_000, 9003),
        Feeder("Arnold", "AR-2"),
        loads.CABIN,
        scale=1100,
    )
    accounts = (
        make_account(
            DEMO_HOME_ACCOUNT,
            DEMO_CUSTOMER_ID,
            (home_service,),
            today=today,
            read_day=_DEMO_READ_DAY,
            rate_code=rates.RESIDENTIAL_TOU,
            habit=PayerHabit.AUTOPAY,
        ),
        make_account(
            DEMO_SHOP_ACCOUNT,
            DEMO_CUSTOMER_ID,
            (shop_service,),
            today=today,
            read_day=_DEMO_READ_DAY,
            rate_code=rates.GENERAL_SERVICE,
            habit=PayerHabit.ON_TIME,
        ),
        make_account(
            DEMO_CABIN_ACCOUNT,
            DEMO_CUSTOMER_ID,
            (cabin_service,),
            today=today,
            read_day=_cabin_read_day(today),
            rate_code=rates.SEASONAL,
            habit=PayerHabit.DELINQUENT,
        ),
    )
    return Member(customer, accounts)


def _cabin_read_day(today: date) -> int:
    """A cycle whose newest bill is about two weeks old, so its two unpaid predecessors
    fall due 1-30 and 31-60 days ago whatever the date."""
    return min((today - timedelta(days=13)).day, 28)


# (description, revenue class, load shape, rate, meter multiplier, how many)
_FARM_SITES = (
    ("Farmhouse", "Residential", loads.HOME, rates.RESIDENTIAL, 1, 1),
    ("Hired hand house", "Residential", loads.HOME, rates.RESIDENTIAL, 1, 1),
    ("Farm office", "Farm", loads.FARM_SHOP, rates.FARM, 1, 1),
    ("Machine shop", "Farm", loads.FARM_SHOP, rates.FARM, 1, 1),
    ("Cattle barn", "Farm", loads.LIVESTOCK_BARN, rates.FARM, 1, 1),
    ("Calving barn", "Farm", loads.LIVESTOCK_BARN, rates.FARM, 1, 1),
    ("Hog finishing barn", "Farm", loads.LIVESTOCK_BARN, rates.FARM, 1, 2),
    ("Machine shed", "Farm", loads.FARM_SHOP, rates.FARM, 1, 1),
    ("Hay barn", "Farm", loads.LIVESTOCK_BARN, rates.FARM, 1, 1),
    ("Grain dryer", "Grain Drying", loads.GRAIN_DRYER, rates.GRAIN_DRYING, 40, 4),
    ("Bin aeration fans", "Farm", loads.GRAIN_AERATION, rates.FARM, 1, 8),
    ("Stock well", "Farm", loads.STOCK_WELL, rates.FARM, 1, 2),
    ("Center pivot", "Irrigation", loads.IRRIGATION_PUMP, rates.IRRIGATION, 80, 36),
)


def _farm(seed: int, today: date) -> Member:
    ansley = TOWN_BY_NAME["Ansley"]
    customer = Customer(
        customer_id=FARM_CUSTOMER_ID,
        last_name="Hansen Farms Inc",
        billing_address=town_address("41250 Road 790", ansley),
        dba_name="Hansen Farms",
        email=FARM_EMAIL,
        day_phone="308-555-0177",
    )
    accounts: list[AccountSpec] = []
    for account_number, (description, revenue_class, shape, rate_code, multiplier) in zip(
        FARM_ACCOUNTS, _farm_sites(), strict=True
    ):
        number = len(accounts) + 1
        hashed = mix(seed, number, _SALT_FARM)
        road, section = between(41000, 41999, hashed), between(1, 36, hashed >> 16)
        address = town_address(
            f"{road} Road {789 + number % 4}", ansley, f"{description} (Sec {section} T16N R18W)"
        )
        service = Service(
            address,
            revenue_class,
            place_near(ansley, 50_000, 9100 + number),
            Feeder("Ansley", f"AN-{1 + number % 2}"),
            shape,
            scale=between(800, 1300, hashed >> 24),
            multiplier=multiplier,
        )
        accounts.append(
            make_account(
                account_number,
                FARM_CUSTOMER_ID,
                (service,),
                today=today,
                read_day=_FARM_READ_DAY,
                rate_code=rate_code,
                habit=PayerHabit.AUTOPAY,
            )
        )
    return Member(customer, tuple(accounts))


def _farm_sites() -> list[tuple[str, str, loads.LoadShape, str, int]]:
    sites = []
    for description, revenue_class, shape, rate_code, multiplier, count in _FARM_SITES:
        for number in range(1, count + 1):
            name = f"{description} {number}" if count > 1 else description
            sites.append((name, revenue_class, shape, rate_code, multiplier))
    return sites
