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

# Outages left waiting by one subscriber, past the batch in hand, before it is cut off.
INBOX_LIMIT = 2_000
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
class _FeedState:
    """The feed as the hub follows it while it runs; dropped when it stops."""

    sequence: int | None = None  # None: no poll has answered yet
    events: dict[str, OutageEvent] = field(default_factory=dict)  # the active ones
    locations: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by watched account
    statuses: dict[str, LocationOutageStatus] = field(default_factory=dict)  # by location
    # Changes polled but not yet sent to account subscribers (kept when a status read fails).
    unsent: dict[str, OutageEvent] = field(default_factory=dict)


class OutageFeedHub:
    def __init__(
        self, adapter: CisAdapter, interval: timedelta, *, inbox_limit: int = INBOX_LIMIT
    ) -> None:
        self._adapter = adapter
        self._interval = interval.total_seconds()
        self._inbox_limit = inbox_limit
        self._map: set[Inbox[str, OutageEvent]] = set()
        self._watchers: set[_AccountWatcher] = set()
        self._watched = Counter[str]()  # subscriptions per account
        self._state = _FeedState()
        self._task: asyncio.Task[None] | None = None
        self._arrived = asyncio.Event()
        self._closed = False  # by aclose: no task starts again

    @asynccontextmanager
    async def outage_map(self) -> AsyncIterator[Inbox[str, OutageEvent]]:
        """Every active outage first, then every change of any outage, restorations
        included (keyed by outage event id)."""
        inbox: Inbox[str, OutageEvent] = Inbox(self._inbox_limit)
        if self._state.sequence is not None:
            inbox.put(self._state.events)
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
                    for location in self._state.locations.pop(number, ()):
                        self._state.statuses.pop(location, None)
            self._stop_when_idle()

    async def aclose(self) -> None:
        self._closed = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    def _start(self) -> None:
        if self._closed:
            return
        self._arrived.set()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outage-feed")

    def _stop_when_idle(self) -> None:
        if not self._map and not self._watchers and self._task is not None:
            self._task.cancel()
            self._task = None
            self._state = _FeedState()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        # A task that is no longer the hub's stops, even should its cancellation be lost.
        while self._task is asyncio.current_task():
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
            # Not asyncio.wait_for: on Python 3.11 it drops a cancellation that comes
            # just as the event is set, and the task would poll on with no subscriber.
            with suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, next_poll - loop.time())):
                    await self._arrived.wait()
            if self._arrived.is_set():
                self._arrived.clear()
                await asyncio.sleep(_BURST_SECONDS)

    async def _poll(self) -> None:
        state = self._state
        feed = await self._adapter.get_active_outages(state.sequence or 0)
        state.sequence = feed.latest_sequence
        changes = {event.outage_event_id: event for event in feed.events}
        for event_id, event in changes.items():
            if event.status is OutageStatus.RESTORED:
                state.events.pop(event_id, None)
            else:
                state.events[event_id] = event
        for inbox in self._map:
            inbox.put(changes)
        if self._watchers:
            state.unsent.update(changes)

    async def _send_changes(self) -> None:
        """Sends the polled changes to the account subscribers they concern, after one read
        of every watched location's status."""
        state = self._state
        watched = list(self._watched_locations())
        if not state.unsent or not watched:
            state.unsent.clear()
            return
        before = {location: state.statuses.get(location) for location in watched}
        self._keep_statuses(await self._adapter.get_outage_status(watched))
        changed, state.unsent = state.unsent, {}
        for watcher in self._watchers:
            if watcher.followed:
                self._send(watcher, changed, before)

    async def _follow_new_watchers(self) -> None:
        """Reads the locations and statuses new subscribers need (for all of them together)
        and sends each the outages affecting it now."""
        state = self._state
        new = [watcher for watcher in self._watchers if not watcher.followed]
        accounts = sorted({number for w in new for number in w.accounts} - state.locations.keys())
        if accounts:
            found = await self._adapter.get_service_locations(accounts)
            for number in accounts:
                if number in self._watched:
                    locations = found.get(number, ())
                    state.locations[number] = tuple(loc.service_location_id for loc in locations)
        unread = sorted(
            {location for w in new for location in self._locations_of(w)} - state.statuses.keys()
        )
        if unread:
            self._keep_statuses(await self._adapter.get_outage_status(unread))
        for watcher in new:
            if watcher in self._watchers:
                watcher.followed = True
                self._send(watcher, state.events, {})

    def _keep_statuses(self, statuses: Mapping[str, LocationOutageStatus]) -> None:
        """Keeps the statuses of locations still watched (a subscriber may have left
        while the CIS answered)."""
        watched = set(self._watched_locations())
        self._state.statuses.update(
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
            for location in self._state.locations.get(number, ()):
                status = self._state.statuses.get(location)
                if status is None:
                    continue
                earlier = before.get(location)
                event_ids = {status.outage_event_id}
                if earlier is not None:
                    event_ids.add(earlier.outage_event_id)
                for event_id in event_ids:
                    if event_id is not None and event_id in events:
                        by_event.setdefault(event_id, []).append(ServicePower(number, status))
        watcher.inbox.put(
            {
                event_id: AccountsOutage(events[event_id], tuple(services))
                for event_id, services in by_event.items()
            }
        )

    def _watched_locations(self) -> Iterable[str]:
        for locations in self._state.locations.values():
            yield from locations

    def _locations_of(self, watcher: _AccountWatcher) -> Iterable[str]:
        for number in watcher.accounts:
            yield from self._state.locations.get(number, ())
