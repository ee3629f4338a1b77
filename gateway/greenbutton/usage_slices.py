"""An account's usage for a download, read a calendar month at a time.

A year of 15-minute data is ~35,000 intervals per meter: read whole, it would sit in
memory twice (records and rows) before the first byte left. Each month is read and summed
by ``resolvers.usage.account_usage``, the code behind ``Account.usage``, so a download has
exactly GraphQL's values (the feed's without their costs, which it does not show), and each
month is written out before the next one is read.

Each month gets loaders of its own (the request's loaders keep every usage window they read
for the life of the request), primed with the account's service locations and rate so
those are read from the CIS once. Months that start after the request are not read: the
CIS has measured nothing there yet.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from adapters.records import Bill, DateRange, RateSchedule, ServiceLocation, ServiceStatus
from gateway.context import RequestContext
from gateway.greenbutton.period import Export
from resolvers.loaders import CisLoaders
from resolvers.periods import month_start
from resolvers.usage import UsageRow, account_usage, days_window
from schema.errors import NotFound

# Bills are dated after their period ends: a bill dated this long after the export's last
# day may still cover some of its days.
BILLING_LAG = timedelta(days=45)


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """What a download needs of the account besides its intervals."""

    locations: tuple[ServiceLocation, ...]
    rate: RateSchedule | None
    net_metered: bool  # any meter of the account is: it sends energy back
    bills: tuple[Bill, ...]  # whose period overlaps the export's days, oldest first

    @property
    def connected(self) -> bool:
        return any(place.service_status is ServiceStatus.ACTIVE for place in self.locations)

    @property
    def title(self) -> str:
        return self.locations[0].service_address.line1 if self.locations else "No service"


@dataclass(frozen=True, slots=True)
class Slice:
    """The intervals of some whole local days, which run from ``start`` to ``end``."""

    start: datetime
    end: datetime
    rows: list[UsageRow]


async def account_facts(context: RequestContext, export: Export) -> AccountFacts:
    """The account's locations, rate, meters and bills; NOT_FOUND when the CIS lacks it."""
    number, loaders = export.account_number, context.loaders
    bills_period = DateRange(export.first, export.last + BILLING_LAG)
    account, locations, rate, bills = await asyncio.gather(
        loaders.accounts.load(number),
        loaders.service_locations.load(number),
        loaders.rate_schedules.load(number),
        loaders.bills(bills_period).load(number),
    )
    if account is None:
        raise NotFound(f"no account {number}")
    meter_numbers = [meter for location in locations for meter in location.meter_numbers]
    meters = await loaders.meters.load_many(meter_numbers)
    overlapping = [
        bill
        for bill in bills
        if bill.period_start <= export.last and bill.period_end >= export.first
    ]
    return AccountFacts(
        locations=locations,
        rate=rate,
        net_metered=any(meter is not None and meter.is_net_metered for meter in meters),
        bills=tuple(sorted(overlapping, key=lambda bill: bill.period_start)),
    )


async def usage_slices(
    context: RequestContext, export: Export, facts: AccountFacts, *, priced: bool
) -> AsyncIterator[Slice]:
    """The export's intervals, a calendar month (or the part of one asked) at a time, with
    their estimated cost if ``priced`` (a format without one saves pricing them, and on a
    time-of-use rate the hourly read that prices a day).

    The first month is read before this returns, so a CIS that cannot answer fails the
    request before any of the answer is sent. A later month's failure is raised by the
    iterator once the answer has begun (``route.Download`` cuts the answer short then).
    """
    months = _months(export.first, export.last)
    first = await _read(context, export, facts, priced, *months[0])

    async def all_months() -> AsyncIterator[Slice]:
        yield first
        for month in months[1:]:  # each month's loaders, and what they read, go with it
            yield await _read(context, export, facts, priced, *month)

    return all_months()


async def _read(
    context: RequestContext,
    export: Export,
    facts: AccountFacts,
    priced: bool,
    first: date,
    last: date,
) -> Slice:
    window = days_window(context, first, last, export.resolution)
    if window.start > context.received_at:
        return Slice(window.start, window.end, [])
    loaders = CisLoaders(context.services.adapter, batching=context.services.cis_batching)
    loaders.service_locations.prime(export.account_number, facts.locations)
    loaders.rate_schedules.prime(export.account_number, facts.rate)
    month_context = dataclasses.replace(context, loaders=loaders)
    rows = await account_usage(
        month_context, export.account_number, window, export.resolution, priced=priced
    )
    return Slice(window.start, window.end, rows)


def _months(first: date, last: date) -> list[tuple[date, date]]:
    """[first, last] cut at the ends of calendar months."""
    months = []
    while first <= last:
        following = month_start(first, 1)
        months.append((first, min(last, following - timedelta(days=1))))
        first = following
    return months
