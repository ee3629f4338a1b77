"""The in-process simulated CIS: size, speed, determinism, demo customers and outages."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from adapters.cis_soap.operations import FAULT_INVALID_REQUEST
from adapters.cis_soap.simulator import demo
from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.contract import CisAdapter
from adapters.errors import CisFault
from adapters.records import (
    AccountStatus,
    CrewStatus,
    DateRange,
    OutageFeed,
    OutageStatus,
    PowerStatus,
)

from .simulated import CHICAGO, NOW, Clock, small_cis

EVER = DateRange(date(2000, 1, 1), date(2100, 1, 1))


async def test_default_coop_starts_quickly_and_reads_1200_accounts_at_once() -> None:
    started = time.perf_counter()
    cis: CisAdapter = SimulatedCis(clock=Clock())
    assert time.perf_counter() - started < 5  # generous: shared CI machines are slow
    assert isinstance(cis, SimulatedCis)
    assert len(cis.customer_ids) >= 2000
    assert len(cis.account_numbers) >= 3000
    keys = [*cis.account_numbers[:1200], "NO-SUCH"]
    accounts = await cis.get_accounts(keys)
    assert sorted(accounts) == sorted(keys[:1200])
    locations = await cis.get_service_locations(keys)
    assert len(locations) == 1200
    await cis.aclose()


async def test_same_seed_same_records() -> None:
    first, second = small_cis(), small_cis()
    accounts = list(first.account_numbers)
    assert await first.get_accounts(accounts) == await second.get_accounts(accounts)
    assert await first.get_bills(accounts, EVER) == await second.get_bills(accounts, EVER)
    assert await first.get_payments(accounts, EVER) == await second.get_payments(accounts, EVER)
    customers = list(first.customer_ids)
    assert await first.get_customers(customers) == await second.get_customers(customers)
    assert await first.get_active_outages() == await second.get_active_outages()
    assert first.sample(5) == second.sample(5)
    assert await small_cis(seed=2).get_customers(customers) != await first.get_customers(customers)


async def test_demo_household() -> None:
    cis = small_cis()
    (customer,) = (await cis.get_customers([demo.DEMO_CUSTOMER_ID])).values()
    assert customer.email == demo.DEMO_EMAIL
    accounts = (await cis.get_accounts_by_customer([demo.DEMO_CUSTOMER_ID]))[demo.DEMO_CUSTOMER_ID]
    assert tuple(a.account_number for a in accounts) == demo.DEMO_ACCOUNTS
    locations = await cis.get_service_locations(demo.DEMO_ACCOUNTS)
    (home,) = locations[demo.DEMO_HOME_ACCOUNT]
    assert home.service_location_id == demo.DEMO_HOME_LOCATION
    assert home.meter_numbers == (demo.DEMO_HOME_METER,)
    meter = (await cis.get_meters([demo.DEMO_HOME_METER]))[demo.DEMO_HOME_METER]
    assert meter.is_net_metered
    rate = (await cis.get_rate_schedules([demo.DEMO_HOME_ACCOUNT]))[demo.DEMO_HOME_ACCOUNT]
    assert rate.time_of_use_periods
    (shop,) = locations[demo.DEMO_SHOP_ACCOUNT]
    assert shop.revenue_class == "Commercial"
    (cabin,) = locations[demo.DEMO_CABIN_ACCOUNT]
    assert cabin.power_status is PowerStatus.POWER_OFF
    assert home.power_status is shop.power_status is PowerStatus.POWER_ON
    cabin_account = accounts[2]
    assert cabin_account.balance.past_30 > 0
    assert cabin_account.balance.past_60 > 0


async def test_demo_farm() -> None:
    cis = small_cis()
    (customer,) = (await cis.get_customers([demo.FARM_CUSTOMER_ID])).values()
    assert customer.email == demo.FARM_EMAIL
    assert customer.dba_name == "Hansen Farms"
    accounts = (await cis.get_accounts_by_customer([demo.FARM_CUSTOMER_ID]))[demo.FARM_CUSTOMER_ID]
    assert tuple(a.account_number for a in accounts) == demo.FARM_ACCOUNTS
    assert all(a.account_status is AccountStatus.ACTIVE for a in accounts)
    locations = await cis.get_service_locations(demo.FARM_ACCOUNTS)
    classes = [location.revenue_class for (location,) in locations.values()]
    assert classes.count("Irrigation") == 36
    assert classes.count("Grain Drying") == 4
    descriptions = {
        (location.service_address.line2 or "").split(" (Sec")[0]
        for (location,) in locations.values()
    }
    assert {"Farmhouse", "Center pivot 1", "Grain dryer 4", "Cattle barn"} <= descriptions
    assert all(location.power_status is PowerStatus.POWER_ON for (location,) in locations.values())


async def test_sample_members_exclude_the_demo_customers() -> None:
    cis = small_cis()
    members = cis.sample(10)
    assert len({member.customer_id for member in members}) == 10
    customers = await cis.get_customers([member.customer_id for member in members])
    for member in members:
        assert member.email not in demo.DEMO_EMAILS
        assert member.customer_id not in demo.DEMO_CUSTOMER_IDS
        assert customers[member.customer_id].last_name == member.name
        assert customers[member.customer_id].email == member.email
        (location, *_) = (await cis.get_service_locations([member.account_number]))[
            member.account_number
        ]
        assert location.service_address.postal_code == member.service_zip


async def test_active_outages_and_change_polling() -> None:
    clock = Clock()
    cis = small_cis(clock=clock)
    feed = await cis.get_active_outages()
    statuses = {event.status for event in feed.events}
    assert statuses == {OutageStatus.ASSUMED, OutageStatus.CONFIRMED, OutageStatus.SCHEDULED}
    assert [e.is_planned for e in feed.events if e.status is OutageStatus.SCHEDULED] == [True]
    assert feed.latest_sequence == max(event.sequence for event in feed.events)
    for event in feed.events:
        assert event.customers_affected > 0
        assert event.area.polygon
        assert event.substation
        assert event.feeder
    status = (await cis.get_outage_status([demo.DEMO_CABIN_LOCATION]))[demo.DEMO_CABIN_LOCATION]
    assert status.power_status is PowerStatus.POWER_OFF
    cabin_event = (await cis.get_outages([status.outage_event_id or ""]))[status.outage_event_id]
    assert cabin_event.status is OutageStatus.CONFIRMED
    assert cabin_event.estimated_restoration == status.estimated_restoration
    assert (await cis.get_active_outages(feed.latest_sequence)).events == ()

    etr = NOW + timedelta(hours=5)
    moved = await cis.advance_outage(
        cabin_event.outage_event_id, crew_status=CrewStatus.ON_SITE, estimated_restoration=etr
    )
    assert moved.sequence == feed.latest_sequence + 1
    changed = await cis.get_active_outages(feed.latest_sequence)
    assert changed.events == (moved,)
    clock.now = NOW + timedelta(hours=2)
    restored = await cis.advance_outage(moved.outage_event_id, status=OutageStatus.RESTORED)
    assert restored.restored_at == clock.now
    assert restored.customers_restored == restored.customers_affected
    assert restored.crew_status is CrewStatus.COMPLETE
    ended = await cis.get_active_outages(moved.sequence)
    assert ended == OutageFeed((restored,), restored.sequence)  # pollers see the outage end
    assert restored.outage_event_id not in {
        event.outage_event_id for event in (await cis.get_active_outages()).events
    }
    status = (await cis.get_outage_status([demo.DEMO_CABIN_LOCATION]))[demo.DEMO_CABIN_LOCATION]
    assert status.power_status is PowerStatus.POWER_ON


async def test_the_feed_after_a_sequence_holds_every_later_change_oldest_first() -> None:
    cis = small_cis()
    snapshot = await cis.get_active_outages(0)
    history = (await cis.get_outage_history(demo.DEMO_ACCOUNTS, EVER))[demo.DEMO_CABIN_ACCOUNT]
    restored = [event for event in history if event.status is OutageStatus.RESTORED]
    since = min(event.sequence for event in restored) - 1
    changes = await cis.get_active_outages(since)
    sequences = [event.sequence for event in changes.events]
    assert sequences == sorted(sequences)
    assert all(sequence > since for sequence in sequences)
    assert {event.outage_event_id for event in restored} < {
        event.outage_event_id for event in changes.events
    }
    assert set(snapshot.events) <= set(changes.events)
    assert changes.latest_sequence == snapshot.latest_sequence
    with pytest.raises(CisFault) as fault:
        await cis.get_active_outages(-1)
    assert (fault.value.code, fault.value.subject) == (FAULT_INVALID_REQUEST, "sinceSequence")


def real_minutes(later: datetime, earlier: datetime) -> float:
    return (later.astimezone(UTC) - earlier.astimezone(UTC)) / timedelta(minutes=1)


async def test_live_outages_keep_their_real_durations_across_daylight_saving() -> None:
    """Started so many minutes ago whether or not a clock change lies in between."""
    plain_day = datetime(2026, 3, 7, 3, 30, tzinfo=CHICAGO)
    spring_forward = datetime(2026, 3, 8, 3, 30, tzinfo=CHICAGO)  # 02:00-03:00 skipped
    durations = []
    for now in (plain_day, spring_forward):
        feed = await small_cis(clock=Clock(now)).get_active_outages(0)
        unplanned = [event for event in feed.events if not event.is_planned]
        assert unplanned
        durations.append(
            sorted(
                (
                    real_minutes(now, event.start_time),
                    None
                    if event.estimated_restoration is None
                    else real_minutes(event.estimated_restoration, now),
                )
                for event in unplanned
            )
        )
        for event in unplanned:
            local = event.start_time.astimezone(UTC).astimezone(CHICAGO)
            assert local.replace(tzinfo=None) == event.start_time.replace(tzinfo=None)
    assert durations[0] == durations[1]


async def test_outage_history_is_filtered_and_newest_first() -> None:
    cis = small_cis()
    history = await cis.get_outage_history([*demo.DEMO_ACCOUNTS, "NO-SUCH"], EVER)
    assert set(history) == set(demo.DEMO_ACCOUNTS)
    cabin = history[demo.DEMO_CABIN_ACCOUNT]
    assert cabin[0].status is OutageStatus.CONFIRMED
    assert any(event.status is OutageStatus.RESTORED for event in cabin)
    for events in history.values():
        starts = [event.start_time for event in events]
        assert starts == sorted(starts, reverse=True)
    past = DateRange(cabin[-1].start_time.date(), cabin[-1].start_time.date())
    assert (await cis.get_outage_history([demo.DEMO_CABIN_ACCOUNT], past))[
        demo.DEMO_CABIN_ACCOUNT
    ] == (cabin[-1],)
