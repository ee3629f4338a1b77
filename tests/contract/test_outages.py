"""Outage events: the active feed, lookups by id, per-location status and history."""

from __future__ import annotations

from datetime import date, timedelta

from adapters.contract import CisAdapter
from adapters.records import DateRange, OutageStatus, PowerStatus

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
    locations = await cis.get_service_locations(facts.account_numbers)
    location_ids = [loc.service_location_id for locs in locations.values() for loc in locs]

    statuses = await cis.get_outage_status([*location_ids, facts.unknown_key])

    assert set(statuses) == set(location_ids)
    active = {event.outage_event_id for event in (await cis.get_active_outages(0)).events}
    for location_id, status in statuses.items():
        assert status.service_location_id == location_id
        if status.outage_event_id is not None:
            assert status.outage_event_id in active
            assert status.power_status is not PowerStatus.POWER_ON


async def test_outage_history_stays_inside_the_period(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    period = DateRange(date.today() - timedelta(days=730), date.today())

    history = await cis.get_outage_history([*facts.account_numbers, facts.unknown_key], period)

    assert set(history) == set(facts.account_numbers)
    for events in history.values():
        for event in events:
            day = event.start_time.astimezone(facts.time_zone).date()
            assert period.start <= day <= period.end
