"""Outage events: the active feed, lookups by id, per-location status and history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from adapters.contract import CisAdapter
from adapters.records import (
    DateRange,
    OutageReport,
    OutageReportKind,
    OutageStatus,
    PowerStatus,
)

from .facts import ContractFacts


async def test_active_feed_polls_by_sequence(cis: CisAdapter) -> None:
    feed = await cis.get_active_outages(0)

    assert feed.events, "the suite needs a CIS with at least one active outage"
    assert all(event.status is not OutageStatus.RESTORED for event in feed.events)
    assert feed.latest_sequence >= max(event.sequence for event in feed.events)

    unchanged = await cis.get_active_outages(feed.latest_sequence)
    assert unchanged.events == ()
    assert unchanged.latest_sequence == feed.latest_sequence


async def test_events_by_id(cis: CisAdapter, facts: ContractFacts) -> None:
    feed = await cis.get_active_outages(0)
    ids = [event.outage_event_id for event in feed.events]

    events = await cis.get_outages([*ids, facts.unknown_key])

    assert set(events) == set(ids)
    assert all(events[event.outage_event_id] == event for event in feed.events)
    for event in events.values():
        assert event.start_time.tzinfo is not None
        assert 0 <= event.customers_restored <= event.customers_affected


async def test_location_status_names_the_outage_it_is_in(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    accounts = [*facts.account_numbers, facts.outage_account]
    locations = await cis.get_service_locations(accounts)
    location_ids = [loc.service_location_id for locs in locations.values() for loc in locs]

    statuses = await cis.get_outage_status([*location_ids, facts.unknown_key])

    assert set(statuses) == set(location_ids)
    active = {event.outage_event_id for event in (await cis.get_active_outages(0)).events}
    in_outage = [status for status in statuses.values() if status.outage_event_id is not None]
    outage_locations = {loc.service_location_id for loc in locations[facts.outage_account]}
    assert outage_locations & {status.service_location_id for status in in_outage}
    for status in in_outage:
        assert status.outage_event_id in active
        assert status.power_status is not PowerStatus.POWER_ON
    for location_id, status in statuses.items():
        assert status.service_location_id == location_id


async def test_outage_history_stays_inside_the_period(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    period = DateRange(date.today() - timedelta(days=730), date.today())

    history = await cis.get_outage_history([*facts.account_numbers, facts.unknown_key], period)

    assert set(history) == set(facts.account_numbers)
    assert any(history.values()), "the suite needs some outage history on its accounts"
    for events in history.values():
        for event in events:
            day = event.start_time.astimezone(facts.time_zone).date()
            assert period.start <= day <= period.end


async def test_a_new_outage_shows_in_the_feed_after_the_last_sequence(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    locations = await cis.get_service_locations(facts.account_numbers)
    statuses = await cis.get_outage_status(
        [loc.service_location_id for locs in locations.values() for loc in locs]
    )
    location = next(
        loc
        for locs in locations.values()
        for loc in locs
        if statuses[loc.service_location_id].outage_event_id is None
    )
    before = await cis.get_active_outages(0)
    report = OutageReport(
        account_number=location.account_number,
        service_location_id=location.service_location_id,
        kind=OutageReportKind.LINE_DOWN,
        reported_at=datetime.now(UTC),
    )

    (receipt,) = await cis.submit_outage_reports([report])
    changes = await cis.get_active_outages(before.latest_sequence)

    assert receipt.outage_event_id in {event.outage_event_id for event in changes.events}
    assert changes.latest_sequence > before.latest_sequence
