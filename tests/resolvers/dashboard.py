"""The farm member's dashboard, loaded the way GraphQL executes it.

GraphQL resolves the fields of every item of a list side by side, each in a coroutine of
its own; so does this: per account, its service locations (and, per location, meters and
outage status), the account's outage status and its last 3 bills.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

from adapters.cis_soap.simulator.demo import FARM_CUSTOMER_ID
from adapters.records import (
    Account,
    Bill,
    Customer,
    DateRange,
    LocationOutageStatus,
    Meter,
    ServiceLocation,
)
from resolvers.loaders import CisLoaders


@dataclass(frozen=True)
class LocationView:
    location: ServiceLocation
    meters: list[Meter | None]
    outage_status: LocationOutageStatus | None


@dataclass(frozen=True)
class AccountView:
    account: Account
    locations: list[LocationView]
    outage_status: list[LocationOutageStatus | None]
    last_bills: tuple[Bill, ...]


@dataclass(frozen=True)
class Dashboard:
    customer: Customer | None
    accounts: list[AccountView]


def recent_bills(today: date) -> DateRange:
    """The canonical period the last 3 monthly bills are read from."""
    return DateRange(today - timedelta(days=120), today)


async def farm_dashboard(loaders: CisLoaders, today: date) -> Dashboard:
    customer, accounts = await asyncio.gather(
        loaders.customers.load(FARM_CUSTOMER_ID),
        loaders.accounts_by_customer.load(FARM_CUSTOMER_ID),
    )
    views = await asyncio.gather(*(account_view(loaders, account, today) for account in accounts))
    return Dashboard(customer, list(views))


async def account_view(loaders: CisLoaders, account: Account, today: date) -> AccountView:
    number = account.account_number
    locations, outage_status, bills = await asyncio.gather(
        location_views(loaders, number),
        account_outage_status(loaders, number),
        loaders.bills(recent_bills(today)).load(number),
    )
    return AccountView(account, locations, outage_status, bills[:3])


async def location_views(loaders: CisLoaders, account_number: str) -> list[LocationView]:
    locations = await loaders.service_locations.load(account_number)
    return list(await asyncio.gather(*(location_view(loaders, place) for place in locations)))


async def location_view(loaders: CisLoaders, location: ServiceLocation) -> LocationView:
    meters, outage_status = await asyncio.gather(
        loaders.meters.load_many(location.meter_numbers),
        loaders.outage_status.load(location.service_location_id),
    )
    return LocationView(location, meters, outage_status)


async def account_outage_status(
    loaders: CisLoaders, account_number: str
) -> list[LocationOutageStatus | None]:
    # Asked one level shallower than the locations' own outage status: still one batch.
    locations = await loaders.service_locations.load(account_number)
    return await loaders.outage_status.load_many(place.service_location_id for place in locations)
