"""Accounts, with every per-account field the query asks of them, read in one await.

Left to GraphQL, each account's ``serviceLocations``, ``outageStatus`` and ``bills`` would
resolve in a coroutine of its own: for the farm's 60 accounts, 180 coroutines, tasks and
DataLoader futures around what are 4 CIS calls, and most of the request's CPU. Instead the
field returning accounts reads its selection (``schema.selection``) and loads those fields
for all the accounts together: the reads keyed by account number (accounts, service
locations, bill and payment pages) side by side, then the locations' outage status. Each
read's error is kept for the fields that needed it (``Loaded``), so a CIS failure fails
those fields only, as a resolver's would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from adapters import records
from adapters.records import DateRange
from gateway.context import RequestContext
from resolvers.pagination import paginate_period
from resolvers.payment_history import HistoryRow, payment_history, row_id
from resolvers.periods import history_period
from schema.account import ACCOUNT_TYPE, Account, Loaded
from schema.billing import Bill, Payment
from schema.connections import TOTAL_COUNT, Connection
from schema.errors import NotFound
from schema.info import GatewayInfo
from schema.locations import ServiceLocation
from schema.outages import ServiceOutageStatus
from schema.selection import Selected

T = TypeVar("T")
Row = TypeVar("Row")
Item = TypeVar("Item")

Locations = list[tuple[records.ServiceLocation, ...]]
Bills = tuple[records.Bill, ...]


@dataclass(frozen=True, slots=True)
class History(Generic[Row, Item]):
    """A paged history field of Account: where its rows come from and what they become."""

    field_name: str
    read: Callable[[RequestContext, DateRange, str], Awaitable[tuple[Row, ...]]]
    row_id: Callable[[Row], str]
    build: Callable[[Row, ZoneInfo], Item]


def _bills(context: RequestContext, period: DateRange, number: str) -> Awaitable[Bills]:
    return context.loaders.bills(period).load(number)


def _payment(row: HistoryRow, zone: ZoneInfo) -> Payment:
    if isinstance(row, records.Payment):
        return Payment.from_record(row, zone)
    return Payment.pending(row, zone)


BILLS: History[records.Bill, Bill] = History(
    "bills", _bills, lambda bill: bill.bill_id, lambda bill, _: Bill.from_record(bill)
)
PAYMENTS: History[HistoryRow, Payment] = History("payments", payment_history, row_id, _payment)


async def account_or_not_found(info: GatewayInfo, number: str) -> Account:
    """The account ``number``, or NOT_FOUND when the CIS does not know it. The caller checked
    access."""
    accounts = await load_accounts(info, [number])
    if not accounts:
        raise NotFound(f"no account {number}")
    return accounts[0]


async def load_accounts(info: GatewayInfo, numbers: Sequence[str]) -> list[Account]:
    """The accounts of ``numbers`` the CIS knows, with the fields the query asks of them
    loaded. The caller checked access; ``info`` is the field's that returns the accounts."""
    selected = Selected(info, ACCOUNT_TYPE)
    loaders = info.context.loaders
    wants_locations = selected.asks("serviceLocations", "outageStatus")
    found, locations, bills, payments = await asyncio.gather(
        loaders.accounts.load_many(numbers),
        _settled(loaders.service_locations.load_many(numbers)) if wants_locations else _none(),
        _pages(info, selected, BILLS, numbers),
        _pages(info, selected, PAYMENTS, numbers),
    )
    zone = info.context.cooperative.time_zone
    statuses = None
    if selected.asks("outageStatus") and locations is not None:
        statuses = await _outage_statuses(info, locations, zone)
    accounts = []
    for index, account in enumerate(found):
        if account is None:
            continue
        fields = Loaded(
            bills={key: pages[index] for key, pages in bills.items()},
            payments={key: pages[index] for key, pages in payments.items()},
        )
        if locations is not None:
            fields.service_locations = _at(locations, index, _service_locations)
        if statuses is not None:
            fields.outage_status = _at(statuses, index, lambda status: status)
        accounts.append(Account.from_record(account, fields))
    return accounts


async def _outage_statuses(
    info: GatewayInfo, locations: Locations | Exception, zone: ZoneInfo
) -> list[ServiceOutageStatus] | Exception:
    """Per account, the status of its worst-off location: one read for all locations."""
    if isinstance(locations, Exception):
        return locations
    ids = [location.service_location_id for places in locations for location in places]
    statuses = await _settled(info.context.loaders.outage_status.load_many(ids))
    if isinstance(statuses, Exception):
        return statuses
    by_id = dict(zip(ids, statuses, strict=True))
    return [
        ServiceOutageStatus.worst(
            [by_id[location.service_location_id] for location in places], zone
        )
        for places in locations
    ]


async def _pages(
    info: GatewayInfo, selected: Selected, history: History[Row, Item], numbers: Sequence[str]
) -> dict[str, list[Connection[Item] | Exception]]:
    """Per response key asking ``history``'s field, each account's page."""
    keys = selected.keys_of(history.field_name)
    pages = await asyncio.gather(
        *(_pages_of_key(info, selected, history, numbers, key) for key in keys)
    )
    return dict(zip(keys, pages, strict=True))


async def _pages_of_key(
    info: GatewayInfo,
    selected: Selected,
    history: History[Row, Item],
    numbers: Sequence[str],
    key: str,
) -> list[Connection[Item] | Exception]:
    arguments = selected.arguments(key)
    first, after = arguments.get("first"), arguments.get("after")
    start, end = arguments.get("from"), arguments.get("to")
    try:
        period = history_period(info.context, start, end)
    except Exception as error:
        return [error] * len(numbers)
    # Without totalCount a first page may come from a recent window, shared by all accounts.
    recent_first = start is None and after is None and not selected.asks_below(key, TOTAL_COUNT)
    context, zone = info.context, info.context.cooperative.time_zone

    async def page_of(number: str) -> Connection[Item]:
        async def read(period: DateRange) -> tuple[Row, ...]:
            return await history.read(context, period, number)

        page = await paginate_period(
            read, history.row_id, period, first, after, recent_first=recent_first
        )
        return Connection[Item].from_page(page, lambda row: history.build(row, zone))

    return await asyncio.gather(*(_settled(page_of(number)) for number in numbers))


def _service_locations(locations: tuple[records.ServiceLocation, ...]) -> list[ServiceLocation]:
    return [ServiceLocation.from_record(location) for location in locations]


def _at(
    values: Sequence[T] | Exception, index: int, build: Callable[[T], Item]
) -> Item | Exception:
    return values if isinstance(values, Exception) else build(values[index])


async def _settled(awaitable: Awaitable[T]) -> T | Exception:
    """The awaitable's value, or the error it raised: kept for the fields that need it."""
    try:
        return await awaitable
    except Exception as error:
        return error


async def _none() -> None:
    return None
