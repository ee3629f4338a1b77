"""The shared outage feed over the in-process CIS: it polls only while someone listens, rides
out CIS failures, and a subscriber that stops reading is cut off without holding anyone back."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import DEMO_HOME_ACCOUNT, DEMO_SHOP_ACCOUNT
from adapters.records import OutageEvent, OutageReport, OutageReportKind, OutageStatus
from gateway.outage_feed import AccountsOutage, OutageFeedHub
from gateway.settings import Settings, SettingsError
from gateway.subscriber_inbox import Inbox, InboxOverflow
from tests.resolvers.conftest import counting, simulated
from tests.resolvers.counting import CountingCis

__all__ = ["counting", "simulated"]  # the resolvers' fixtures: the in-process CIS, counted
INTERVAL = timedelta(seconds=0.05)
POLL = "get_active_outages"


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


async def test_the_feed_polls_only_while_someone_listens(
    simulated: SimulatedCis, counting: CountingCis
) -> None:
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL)
    async with hub.outage_map() as inbox:
        snapshot = await next_items(inbox)
        await asyncio.sleep(4 * INTERVAL.total_seconds())
    polled = counting.calls[POLL]
    await asyncio.sleep(4 * INTERVAL.total_seconds())

    assert snapshot == list((await simulated.get_active_outages(0)).events)
    assert counting.keys[POLL][0] == 0  # a snapshot first
    assert 3 <= polled <= 6
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
        await asyncio.sleep(2 * INTERVAL.total_seconds())  # followed
        counting.failing = {"get_outage_status"}
        event_id = await report_at(simulated, DEMO_SHOP_ACCOUNT)
        await asyncio.sleep(3 * INTERVAL.total_seconds())  # polled, not sent
        failed_reads = counting.calls["get_outage_status"]
        counting.failing = set()
        async with asyncio.timeout(5):
            (started,) = await shop.take()
    await hub.aclose()

    assert failed_reads >= 3  # one try per poll, the first read included
    assert started.event.outage_event_id == event_id
    assert started.services[0].status.outage_event_id == event_id


async def test_a_subscriber_that_stops_reading_is_cut_off_alone(
    simulated: SimulatedCis, counting: CountingCis
) -> None:
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL, inbox_limit=6)
    async with hub.outage_map() as slow, hub.outage_map() as reading:
        snapshot = await next_items(reading)
        opened = []
        for number in (DEMO_HOME_ACCOUNT, DEMO_SHOP_ACCOUNT, "90000201"):
            opened.append(await report_at(simulated, number))
            pushed = await next_items(reading)
            assert [event.outage_event_id for event in pushed] == [opened[-1]]
        with pytest.raises(InboxOverflow):
            await slow.take()
    await hub.aclose()

    assert len(snapshot) + len(opened) > 6


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


async def test_a_inbox_keeps_the_latest_item_per_key() -> None:
    inbox: Inbox[str, int] = Inbox(limit=2)
    inbox.put("a", 1)
    inbox.put("b", 2)
    inbox.put("a", 3)

    assert await inbox.take() == [2, 3]
    inbox.put("a", 4)
    inbox.put("b", 5)
    inbox.put("c", 6)
    with pytest.raises(InboxOverflow):
        await inbox.take()
