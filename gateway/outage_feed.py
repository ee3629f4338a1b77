"""The co-op's outage feed, polled once per interval for every subscription of the process.

One ``OutageFeedHub`` per co-op asks the CIS ``GetActiveOutageEvents(sinceSequence)`` once
per interval, whatever the number of subscribers, keeps the active outages, and puts each
change into the subscribers' inboxes (``gateway.subscriber_inbox``: bounded, never blocking).
Its task starts with the first subscriber and stops with the last, so an idle gateway
asks the CIS nothing; the first poll after a start is a snapshot (sequence 0).

Outage events do not name the service locations they affect; a location's status does
(``GetOutageStatusByServiceLocationIDs``). Subscriptions to accounts are therefore followed
by location: the hub reads the watched accounts' locations once, their statuses when they
are first watched, and all watched statuses again (in one batched read) after a poll that
brought changes. A change reaches the subscribers whose locations the event affects, or
affected until now (that is how a restoration reaches them).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Collection, Iterable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta

from adapters.contract import CisAdapter
from adapters.errors import CisError
from adapters.records import LocationOutageStatus, OutageEvent, OutageStatus
from gateway.subscriber_inbox import Inbox

MAILBOX_LIMIT = 2_000  # outages waiting for one subscriber before it is cut off
# New subscribers arriving within this long are read from the CIS together.
_BURST_SECONDS = 0.05

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServicePower:
    """One of a subscriber's services, with its power now."""

    account_number: str
    status: LocationOutageStatus


@dataclass(frozen=True, slots=True)
class AccountsOutage:
    """An outage as it is now, with the subscriber's services it affects or just stopped
    affecting (restored ones show their power back on)."""

    event: OutageEvent
    services: tuple[ServicePower, ...]


@dataclass(eq=False, slots=True)
class _AccountWatcher:
    accounts: frozenset[str]
    inbox: Inbox[str, AccountsOutage]
    followed: bool = False  # its locations' statuses are known and its first changes sent


@dataclass(slots=True)
class _Snapshot:
    """What the hub knows while it runs; dropped when it stops."""

    sequence: int | None = None  # None: no poll has answered yet
    events: dict[str, OutageEvent] = field(default_factory=dict)  # the active ones
    locations: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by watched account
    statuses: dict[str, LocationOutageStatus] = field(default_factory=dict)  # by location
    # Changes polled but not yet sent to account subscribers (kept when a status read fails).
    unsent: dict[str, OutageEvent] = field(default_factory=dict)


class OutageFeedHub:
    def __init__(
        self, adapter: CisAdapter, interval: timedelta, *, inbox_limit: int = MAILBOX_LIMIT
    ) -> None:
        self._adapter = adapter
        self._interval = interval.total_seconds()
        self._inbox_limit = inbox_limit
        self._map: set[Inbox[str, OutageEvent]] = set()
        self._watchers: set[_AccountWatcher] = set()
        self._watched = Counter[str]()  # subscriptions per account
        self._known = _Snapshot()
        self._task: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()

    @asynccontextmanager
    async def outage_map(self) -> AsyncIterator[Inbox[str, OutageEvent]]:
        """Every active outage first, then every change of any outage, restorations
        included (keyed by outage event id)."""
        inbox: Inbox[str, OutageEvent] = Inbox(self._inbox_limit)
        if self._known.sequence is not None:
            for event in self._known.events.values():
                inbox.put(event.outage_event_id, event)
        self._map.add(inbox)
        self._start()
        try:
            yield inbox
        finally:
            self._map.discard(inbox)
            self._stop_when_idle()

    @asynccontextmanager
    async def accounts(
        self, account_numbers: Collection[str]
    ) -> AsyncIterator[Inbox[str, AccountsOutage]]:
        """The outages affecting these accounts' services now, then every change of an
        outage that affects or affected them (keyed by outage event id)."""
        watcher = _AccountWatcher(frozenset(account_numbers), Inbox(self._inbox_limit))
        self._watchers.add(watcher)
        self._watched.update(watcher.accounts)
        self._start()
        try:
            yield watcher.inbox
        finally:
            self._watchers.discard(watcher)
            self._watched.subtract(watcher.accounts)
            for number in watcher.accounts:
                if self._watched[number] <= 0:
                    del self._watched[number]
                    for location in self._known.locations.pop(number, ()):
                        self._known.statuses.pop(location, None)
            self._stop_when_idle()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    def _start(self) -> None:
        self._arrived.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outage-feed")

    def _stop_when_idle(self) -> None:
        if not self._map and not self._watchers and self._task is not None:
            self._task.cancel()
            self._task = None
            self._known = _Snapshot()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        while True:
            try:
                if loop.time() >= next_poll:
                    next_poll = max(next_poll + self._interval, loop.time())
                    await self._poll()
                await self._send_changes()
                await self._follow_new_watchers()
            except CisError as error:
                logger.warning("outage feed: the CIS failed, polling on: %s", error)
            except Exception:
                logger.exception("outage feed: unexpected failure, polling on")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), max(0.0, next_poll - loop.time()))
            if self._arrived.is_set():
                self._arrived.clear()
                await asyncio.sleep(_BURST_SECONDS)

    async def _poll(self) -> None:
        known = self._known
        feed = await self._adapter.get_active_outages(known.sequence or 0)
        known.sequence = feed.latest_sequence
        if not feed.events:
            return
        for event in feed.events:
            if event.status is OutageStatus.RESTORED:
                known.events.pop(event.outage_event_id, None)
            else:
                known.events[event.outage_event_id] = event
            for inbox in self._map:
                inbox.put(event.outage_event_id, event)
            if self._watchers:
                known.unsent[event.outage_event_id] = event

    async def _send_changes(self) -> None:
        """Sends the polled changes to the account subscribers they concern, after one read
        of every watched location's status."""
        known = self._known
        watched = list(self._watched_locations())
        if not known.unsent or not watched:
            known.unsent.clear()
            return
        before = {location: known.statuses.get(location) for location in watched}
        self._keep_statuses(await self._adapter.get_outage_status(watched))
        changed, known.unsent = known.unsent, {}
        for watcher in self._watchers:
            if watcher.followed:
                self._send(watcher, changed, before)

    async def _follow_new_watchers(self) -> None:
        """Reads the locations and statuses new subscribers need (for all of them together)
        and sends each the outages affecting it now."""
        known = self._known
        new = [watcher for watcher in self._watchers if not watcher.followed]
        accounts = sorted({number for w in new for number in w.accounts} - known.locations.keys())
        if accounts:
            found = await self._adapter.get_service_locations(accounts)
            for number in accounts:
                if number in self._watched:
                    locations = found.get(number, ())
                    known.locations[number] = tuple(loc.service_location_id for loc in locations)
        unread = sorted(
            {location for w in new for location in self._locations_of(w)} - known.statuses.keys()
        )
        if unread:
            self._keep_statuses(await self._adapter.get_outage_status(unread))
        for watcher in new:
            if watcher in self._watchers:
                watcher.followed = True
                self._send(watcher, known.events, {})

    def _keep_statuses(self, statuses: Mapping[str, LocationOutageStatus]) -> None:
        """Keeps the statuses of locations still watched (a subscriber may have left
        while the CIS answered)."""
        watched = set(self._watched_locations())
        self._known.statuses.update(
            (location, status) for location, status in statuses.items() if location in watched
        )

    def _send(
        self,
        watcher: _AccountWatcher,
        events: Mapping[str, OutageEvent],
        before: Mapping[str, LocationOutageStatus | None],
    ) -> None:
        """Puts each of ``events`` that affects the watcher's services now, or did in
        ``before``, into its inbox."""
        by_event: dict[str, list[ServicePower]] = {}
        for number in sorted(watcher.accounts):
            for location in self._known.locations.get(number, ()):
                status = self._known.statuses.get(location)
                if status is None:
                    continue
                earlier = before.get(location)
                event_ids = {status.outage_event_id}
                if earlier is not None:
                    event_ids.add(earlier.outage_event_id)
                for event_id in event_ids:
                    if event_id is not None and event_id in events:
                        by_event.setdefault(event_id, []).append(ServicePower(number, status))
        for event_id, services in by_event.items():
            watcher.inbox.put(event_id, AccountsOutage(events[event_id], tuple(services)))

    def _watched_locations(self) -> Iterable[str]:
        for locations in self._known.locations.values():
            yield from locations

    def _locations_of(self, watcher: _AccountWatcher) -> Iterable[str]:
        for number in watcher.accounts:
            yield from self._known.locations.get(number, ())
