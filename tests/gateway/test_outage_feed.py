"""The shared outage feed over the in-process CIS: it polls only while someone listens, rides
out CIS failures, and a subscriber that stops reading is cut off without holding anyone back."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import pytest

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import DEMO_HOME_ACCOUNT, DEMO_SHOP_ACCOUNT
from adapters.records import OutageEvent, OutageReport, OutageReportKind, OutageStatus
from gateway.outage_feed import AccountsOutage, OutageFeedHub
from gateway.settings import Settings, SettingsError
from gateway.subscriber_inbox import Inbox, InboxOverflow
from tests.resolvers import conftest as resolver_fixtures
from tests.resolvers.counting import CountingCis
from tests.waiting import eventually

# The resolvers' fixtures: the CIS simulator in-process, and its calls counted.
simulated = resolver_fixtures.simulated
counting = resolver_fixtures.counting

INTERVAL = timedelta(seconds=0.05)
POLL = "get_active_outages"
STATUS_READ = "get_outage_status"


async def report_at(cis: SimulatedCis, account_number: str) -> str:
    """Opens an outage at the account's (only) service; its event id."""
    report = OutageReport(
        account_number, f"SL{account_number}-1", OutageReportKind.NO_POWER, datetime.now(UTC)
    )
    (receipt,) = await cis.submit_outage_reports([report])
    return receipt.outage_event_id


async def next_items(inbox: Inbox[str, OutageEvent]) -> list[OutageEvent]:
    async with asyncio.timeout(5):
        return await inbox.take()


async def ticks(count: int) -> None:
    """Lets the event loop run ``count`` times around."""
    for _ in range(count):
        await asyncio.sleep(0)


def pollers() -> list[asyncio.Task[object]]:
    return [task for task in asyncio.all_tasks() if task.get_name() == "outage-feed"]


async def test_the_feed_polls_only_while_someone_listens(
    simulated: SimulatedCis, counting: CountingCis
) -> None:
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL)
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with hub.outage_map() as inbox:
        snapshot = await next_items(inbox)
        await eventually(lambda: counting.calls[POLL] >= 3, "three polls")
    polled, listened = counting.calls[POLL], loop.time() - started
    await asyncio.sleep(4 * INTERVAL.total_seconds())

    assert snapshot == list((await simulated.get_active_outages(0)).events)
    assert counting.keys[POLL][0] == 0  # a snapshot first
    # Each poll starts an interval or more after the one before it, however late the
    # loop runs: never more than one per interval, plus the first.
    assert polled <= listened / INTERVAL.total_seconds() + 1
    assert counting.calls[POLL] == polled  # none since the last subscriber left
    async with hub.outage_map() as inbox:
        assert await next_items(inbox) == snapshot  # a new snapshot
    assert counting.keys[POLL][-1] == 0
    await hub.aclose()


async def test_the_feed_rides_out_cis_failures(
    simulated: SimulatedCis, counting: CountingCis, caplog: pytest.LogCaptureFixture
) -> None:
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL)
    counting.failing = {POLL}
    with caplog.at_level(logging.WARNING, logger="gateway.outage_feed"):
        async with hub.outage_map() as inbox:
            await asyncio.sleep(3 * INTERVAL.total_seconds())
            counting.failing = set()
            snapshot = await next_items(inbox)
            event_id = await report_at(simulated, DEMO_SHOP_ACCOUNT)
            opened = await next_items(inbox)
    await hub.aclose()

    assert snapshot
    assert [event.outage_event_id for event in opened] == [event_id]
    failures = [r for r in caplog.records if "the CIS failed" in r.getMessage()]
    assert len(failures) >= 2


async def test_a_change_waits_for_the_status_read_that_failed(
    simulated: SimulatedCis, counting: CountingCis
) -> None:
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL)
    async with hub.accounts([DEMO_SHOP_ACCOUNT]) as shop:
        await eventually(lambda: counting.calls[STATUS_READ] == 1, "a status read")  # followed
        counting.failing = {STATUS_READ}
        event_id = await report_at(simulated, DEMO_SHOP_ACCOUNT)
        # Polled, and the statuses read (and failed) twice: tried again, not dropped.
        await eventually(lambda: counting.calls[STATUS_READ] >= 3, "three status reads")
        with pytest.raises(TimeoutError):  # nothing sent meanwhile
            async with asyncio.timeout(0):
                await shop.take()
        counting.failing = set()
        async with asyncio.timeout(5):
            (started,) = await shop.take()
    await hub.aclose()

    assert started.event.outage_event_id == event_id
    assert started.services[0].status.outage_event_id == event_id


async def test_a_subscriber_that_stops_reading_is_cut_off_alone(
    simulated: SimulatedCis, counting: CountingCis
) -> None:
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL, inbox_limit=2)
    async with hub.outage_map() as slow, hub.outage_map() as reading:
        snapshot = await next_items(reading)
        opened = []
        for number in (DEMO_HOME_ACCOUNT, DEMO_SHOP_ACCOUNT):
            opened.append(await report_at(simulated, number))
            pushed = await next_items(reading)
            assert [event.outage_event_id for event in pushed] == [opened[-1]]
        with pytest.raises(InboxOverflow):
            await slow.take()
    await hub.aclose()

    assert len(snapshot) > 2  # the slow one left more than 2 waiting when the next came


async def test_a_snapshot_over_the_limit_is_no_overflow(
    simulated: SimulatedCis, counting: CountingCis
) -> None:
    # As in a storm with more active outages than the limit: the snapshot of a (re)started
    # feed and the one a later subscriber starts with reach every subscriber whole.
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL, inbox_limit=2)
    async with hub.outage_map() as first:
        polled = await next_items(first)
        async with hub.outage_map() as later:
            known = await next_items(later)
    await hub.aclose()

    assert len(polled) > 2
    assert known == polled


async def test_the_feed_stops_when_a_newcomer_leaves_at_once(
    counting: CountingCis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One subscriber joins while another listens, and both leave within a loop tick of
    # the wake-up the arrival causes: the feed stops all the same (on Python 3.11,
    # asyncio.wait_for lost that cancellation, and the feed polled on for nobody).
    monkeypatch.setattr("gateway.outage_feed._BURST_SECONDS", 0.0)  # ticks, not time
    hub = OutageFeedHub(counting.as_adapter(), timedelta(minutes=10))
    async with AsyncExitStack() as listening:
        await next_items(await listening.enter_async_context(hub.outage_map()))
        await ticks(20)  # the feed waits for the next poll or subscriber
        newcomer = hub.outage_map()
        await newcomer.__aenter__()
        await ticks(1)  # its wake-up is under way
    await newcomer.__aexit__(None, None, None)
    await ticks(20)
    left = pollers()
    async with hub.outage_map() as inbox:
        await next_items(inbox)
        restarted = pollers()
    await hub.aclose()

    assert left == []
    assert len(restarted) == 1  # one feed, not a second beside a lost one
    assert counting.calls[POLL] == 2


async def test_a_closed_feed_starts_no_more(counting: CountingCis) -> None:
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL)
    async with hub.outage_map() as inbox:
        await next_items(inbox)
    await hub.aclose()
    await ticks(5)  # the stopped feed's task ends
    async with hub.outage_map(), hub.accounts([DEMO_SHOP_ACCOUNT]):
        started = pollers()

    assert started == []
    assert counting.calls[POLL] == 1


async def test_account_subscribers_get_their_outages_start_to_restoration(
    simulated: SimulatedCis, counting: CountingCis
) -> None:
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL)
    async with (
        hub.accounts([DEMO_SHOP_ACCOUNT]) as shop,
        hub.accounts([DEMO_HOME_ACCOUNT]) as home,
    ):
        await asyncio.sleep(2 * INTERVAL.total_seconds())  # followed, nothing to tell
        event_id = await report_at(simulated, DEMO_SHOP_ACCOUNT)
        async with asyncio.timeout(5):
            (started,) = await shop.take()
        await simulated.advance_outage(event_id, status=OutageStatus.RESTORED)
        async with asyncio.timeout(5):
            (restored,) = await shop.take()
        with pytest.raises(TimeoutError):  # nothing for the home
            async with asyncio.timeout(3 * INTERVAL.total_seconds()):
                await home.take()

    await hub.aclose()
    for change in (started, restored):
        assert isinstance(change, AccountsOutage)
        assert change.event.outage_event_id == event_id
        assert [s.account_number for s in change.services] == [DEMO_SHOP_ACCOUNT]
    assert started.services[0].status.outage_event_id == event_id
    assert restored.event.status is OutageStatus.RESTORED
    assert restored.services[0].status.outage_event_id is None
    # The shop's location and status were read once when it was first watched, and the
    # statuses once per poll that brought changes.
    assert counting.calls["get_service_locations"] == 1
    assert counting.calls["get_outage_status"] == 3


def test_the_poll_interval_is_a_setting() -> None:
    variable = "COOP_GATEWAY_OUTAGE_POLL_SECONDS"
    assert Settings().outage_poll_interval == timedelta(seconds=10)
    assert Settings.from_environ({variable: "2.5"}).outage_poll_interval == timedelta(seconds=2.5)
    for wrong in ("0", "-1", "soon", "7200"):
        with pytest.raises(SettingsError, match=variable):
            Settings.from_environ({variable: wrong})


async def test_an_inbox_keeps_the_latest_item_per_key_and_cuts_off_a_backlog() -> None:
    inbox: Inbox[str, int] = Inbox(limit=2)
    inbox.put({"a": 1, "b": 2})
    inbox.put({"a": 3})

    assert await inbox.take() == [2, 3]
    inbox.put({"a": 4, "b": 5, "c": 6})  # the batch in hand does not count
    assert await inbox.take() == [4, 5, 6]
    inbox.put({"a": 7, "b": 8, "c": 9})
    inbox.put({"d": 10})  # three left waiting: over the limit
    inbox.put({"e": 11})
    with pytest.raises(InboxOverflow):
        await inbox.take()
