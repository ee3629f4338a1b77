"""Per-request DataLoaders: every CIS read a GraphQL request makes goes through these.

Build one ``CisLoaders`` per request and never share it: its cache holds balances as they
were when the request read them, and records only that request's viewer may see.

Batching: a load is queued and the queue is sent as one adapter call on the next turns
of the event loop, so every load issued by the fields GraphQL resolves side by side
(60 accounts' ``serviceLocations``, say) shares one call. A request therefore makes one
adapter call per CIS operation and per level of nesting that needs it, whatever the
number of accounts, bills or locations. Resolvers load a list with ``load_many`` in one
await and return filled records; leaf fields read plain attributes.

Values: a key the CIS does not know loads as ``None`` (one record per key) or ``()``
(rows per key). A ``CisError`` from the adapter fails every load of that batch with the
error, and only those: other loaders, and later loads of the same keys, still ask the CIS
(failures are not cached; see ``resolvers.batching``).

Batching off (``CisLoaders(adapter, batching=False)``, the ``COOP_GATEWAY_CIS_BATCHING``
setting) is a diagnostic switch for measuring what batching saves: every loader then sends
each key in an adapter call of its own, so a request costs one call per object it reads.
Production keeps it on.

Parametrized reads (bills, payments and outage history of a period; usage of a window)
have one loader per distinct parameter set, made on first use: fields asking the same
period share a batch, different periods make different calls. Resolvers should therefore
ask canonical periods (the last 3 bills come from the same period on every account).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeVar

from adapters.contract import CisAdapter
from adapters.records import (
    Account,
    Bill,
    Customer,
    DateRange,
    IntervalLength,
    LocationOutageStatus,
    Meter,
    OutageEvent,
    OutageFeed,
    Payment,
    RateSchedule,
    ServiceLocation,
    UsageInterval,
)
from resolvers.batching import RecordLoader, grouped, single

K = TypeVar("K", bound=Hashable)
P = TypeVar("P", bound=Hashable)
V = TypeVar("V")

_SNAPSHOT = 0  # ``get_active_outages(0)``: every active outage


@dataclass(frozen=True, slots=True)
class UsageWindow:
    """The parameters of a usage read: intervals starting in [start, end)."""

    start: datetime
    end: datetime
    interval_length: IntervalLength


class CisLoaders:
    """The DataLoaders of one request, over the co-op's batch-first adapter."""

    def __init__(self, adapter: CisAdapter, *, batching: bool = True) -> None:
        self._adapter = adapter
        self._max_batch_size = None if batching else 1
        self.customers: RecordLoader[str, Customer | None] = self._loader(
            single(adapter.get_customers)
        )
        self.accounts: RecordLoader[str, Account | None] = self._loader(
            single(adapter.get_accounts)
        )
        self.accounts_by_customer: RecordLoader[str, tuple[Account, ...]] = self._loader(
            _accounts_by_customer(adapter, self.accounts)
        )
        self.service_locations: RecordLoader[str, tuple[ServiceLocation, ...]] = self._loader(
            grouped(adapter.get_service_locations)
        )
        self.meters: RecordLoader[str, Meter | None] = self._loader(single(adapter.get_meters))
        self.rate_schedules: RecordLoader[str, RateSchedule | None] = self._loader(
            single(adapter.get_rate_schedules)
        )
        self.outages: RecordLoader[str, OutageEvent | None] = self._loader(
            single(adapter.get_outages)
        )
        self.outage_status: RecordLoader[str, LocationOutageStatus | None] = self._loader(
            single(adapter.get_outage_status)
        )
        self._outage_feed: RecordLoader[int, OutageFeed] = self._loader(
            _outage_feeds(adapter, self.outages)
        )
        self._bills: dict[DateRange, RecordLoader[str, tuple[Bill, ...]]] = {}
        self._payments: dict[DateRange, RecordLoader[str, tuple[Payment, ...]]] = {}
        self._outage_history: dict[DateRange, RecordLoader[str, tuple[OutageEvent, ...]]] = {}
        self._usage: dict[UsageWindow, RecordLoader[str, tuple[UsageInterval, ...]]] = {}

    def bills(self, period: DateRange) -> RecordLoader[str, tuple[Bill, ...]]:
        """Bills by account number, dated in ``period``, newest first."""
        read = partial(self._adapter.get_bills, period=period)
        return self._per_parameter(self._bills, period, read)

    def payments(self, period: DateRange) -> RecordLoader[str, tuple[Payment, ...]]:
        """Payments by account number, posted in ``period``, newest first."""
        read = partial(self._adapter.get_payments, period=period)
        return self._per_parameter(self._payments, period, read)

    def outage_history(self, period: DateRange) -> RecordLoader[str, tuple[OutageEvent, ...]]:
        """Outages by account number that started in ``period``, newest first."""
        read = partial(self._adapter.get_outage_history, period=period)
        return self._per_parameter(self._outage_history, period, read)

    def usage(self, window: UsageWindow) -> RecordLoader[str, tuple[UsageInterval, ...]]:
        """Usage intervals by meter number, oldest first."""
        read = partial(
            self._adapter.get_usage,
            start=window.start,
            end=window.end,
            interval_length=window.interval_length,
        )
        return self._per_parameter(self._usage, window, read)

    async def active_outages(self) -> OutageFeed:
        """Every active outage, read from the CIS at most once per request."""
        return await self._outage_feed.load(_SNAPSHOT)

    def _loader(self, batch_load: Callable[[list[K]], Awaitable[list[V]]]) -> RecordLoader[K, V]:
        return RecordLoader(batch_load, max_batch_size=self._max_batch_size)

    def _per_parameter(
        self,
        loaders: dict[P, RecordLoader[str, tuple[V, ...]]],
        parameters: P,
        read: Callable[[Sequence[str]], Awaitable[Mapping[str, tuple[V, ...]]]],
    ) -> RecordLoader[str, tuple[V, ...]]:
        """The loader of ``parameters``, made on first use so equal parameters share batches."""
        loader = loaders.get(parameters)
        if loader is None:
            loader = loaders[parameters] = self._loader(grouped(read))
        return loader


# The batch functions that prime another loader close over that loader, not over the
# CisLoaders: a bound method would make a reference cycle, and a request's loaders (with every
# record they cached) would then wait for the cycle collector instead of going with the request.


def _accounts_by_customer(
    adapter: CisAdapter, accounts: RecordLoader[str, Account | None]
) -> Callable[[list[str]], Awaitable[list[tuple[Account, ...]]]]:
    async def load(customer_ids: list[str]) -> list[tuple[Account, ...]]:
        by_customer = await grouped(adapter.get_accounts_by_customer)(customer_ids)
        # A field that then asks for one of these accounts by number needs no call.
        for account in (account for found in by_customer for account in found):
            accounts.prime(account.account_number, account)
        return by_customer

    return load


def _outage_feeds(
    adapter: CisAdapter, outages: RecordLoader[str, OutageEvent | None]
) -> Callable[[list[int]], Awaitable[list[OutageFeed]]]:
    async def load(since_sequences: list[int]) -> list[OutageFeed]:
        feeds = [await adapter.get_active_outages(since) for since in since_sequences]
        for event in (event for feed in feeds for event in feed.events):
            outages.prime(event.outage_event_id, event)
        return feeds

    return load
