"""CisLoaders over the in-process simulated CIS, counting the adapter calls they make."""

from __future__ import annotations

import asyncio
import gc
import weakref
from datetime import datetime, time, timedelta

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import (
    DEMO_HOME_ACCOUNT,
    DEMO_HOME_METER,
    FARM_ACCOUNTS,
    FARM_CUSTOMER_ID,
)
from adapters.errors import CisUnavailable
from adapters.records import DateRange, IntervalLength
from resolvers.loaders import CisLoaders, UsageWindow

from .counting import CountingCis
from .dashboard import farm_dashboard

DASHBOARD_CALLS = {
    "get_customers": 1,
    "get_accounts_by_customer": 1,
    "get_service_locations": 1,
    "get_meters": 1,
    "get_outage_status": 1,
    "get_bills": 1,
}


async def test_the_farm_dashboard_costs_one_call_per_operation(
    counting: CountingCis, simulated: SimulatedCis
) -> None:
    loaders = CisLoaders(counting.as_adapter())
    dashboard = await farm_dashboard(loaders, simulated.now().date())

    assert counting.calls == DASHBOARD_CALLS
    assert dashboard.customer is not None
    assert dashboard.customer.customer_id == FARM_CUSTOMER_ID
    assert [view.account.account_number for view in dashboard.accounts] == list(FARM_ACCOUNTS)
    assert sorted(counting.keys["get_service_locations"][0]) == sorted(FARM_ACCOUNTS)
    locations = [place for view in dashboard.accounts for place in view.locations]
    location_ids = [place.location.service_location_id for place in locations]
    assert sorted(counting.keys["get_outage_status"][0]) == sorted(location_ids)
    for place in locations:
        assert [meter and meter.meter_number for meter in place.meters] == list(
            place.location.meter_numbers
        )
        assert place.outage_status is not None
        assert place.outage_status.service_location_id == place.location.service_location_id
    for view in dashboard.accounts:
        assert view.outage_status == [place.outage_status for place in view.locations]
        dates = [bill.bill_date for bill in view.last_bills]
        assert dates == sorted(dates, reverse=True)
    assert all(len(view.last_bills) == 3 for view in dashboard.accounts)

    await farm_dashboard(loaders, simulated.now().date())
    assert counting.calls == DASHBOARD_CALLS  # the request's cache answers it all


async def test_without_batching_the_dashboard_costs_one_call_per_object(
    counting: CountingCis, simulated: SimulatedCis
) -> None:
    loaders = CisLoaders(counting.as_adapter(), batching=False)
    dashboard = await farm_dashboard(loaders, simulated.now().date())

    locations = [place for view in dashboard.accounts for place in view.locations]
    meters = {number for place in locations for number in place.location.meter_numbers}
    assert len(dashboard.accounts) == len(FARM_ACCOUNTS)
    assert counting.calls == {
        "get_customers": 1,
        "get_accounts_by_customer": 1,
        "get_service_locations": len(FARM_ACCOUNTS),
        "get_meters": len(meters),
        "get_outage_status": len(locations),
        "get_bills": len(FARM_ACCOUNTS),
    }
    assert all(len(keys) == 1 for calls in counting.keys.values() for keys in calls)
    assert all(len(view.last_bills) == 3 for view in dashboard.accounts)


async def test_accounts_read_by_customer_are_known_by_number(counting: CountingCis) -> None:
    loaders = CisLoaders(counting.as_adapter())
    farm = await loaders.accounts_by_customer.load(FARM_CUSTOMER_ID)

    assert await loaders.accounts.load_many(FARM_ACCOUNTS[:5]) == list(farm[:5])
    assert "get_accounts" not in counting.calls
    home = await loaders.accounts.load(DEMO_HOME_ACCOUNT)
    assert home is not None
    assert home.account_number == DEMO_HOME_ACCOUNT
    assert counting.calls["get_accounts"] == 1


async def test_unknown_keys_load_as_none_or_empty(
    counting: CountingCis, simulated: SimulatedCis
) -> None:
    loaders = CisLoaders(counting.as_adapter())
    today = simulated.now().date()
    period = DateRange(today - timedelta(days=30), today)
    midnight = datetime.combine(today, time(), simulated.zone)
    window = UsageWindow(midnight - timedelta(days=1), midnight, IntervalLength.HOURLY)
    unknown = "NO-SUCH-KEY"

    singles = await asyncio.gather(
        loaders.customers.load(unknown),
        loaders.meters.load(unknown),
        loaders.rate_schedules.load(unknown),
        loaders.outages.load(unknown),
        loaders.outage_status.load(unknown),
    )
    groups = await asyncio.gather(
        loaders.accounts_by_customer.load(unknown),
        loaders.service_locations.load(unknown),
        loaders.bills(period).load(unknown),
        loaders.payments(period).load(unknown),
        loaders.outage_history(period).load(unknown),
        loaders.usage(window).load(unknown),
    )
    home, missing = await loaders.accounts.load_many([DEMO_HOME_ACCOUNT, unknown])

    assert list(singles) == [None] * 5
    assert list(groups) == [()] * 6
    assert home is not None
    assert missing is None
    assert sum(counting.calls.values()) == 12  # the CIS was asked, once per read


async def test_a_cis_error_fails_only_the_loads_of_its_batch(
    counting: CountingCis, simulated: SimulatedCis
) -> None:
    loaders = CisLoaders(counting.as_adapter())
    today = simulated.now().date()
    bills = loaders.bills(DateRange(today - timedelta(days=90), today))
    numbers = FARM_ACCOUNTS[:3]
    counting.failing = {"get_bills"}

    *failed, locations = await asyncio.gather(
        *(bills.load(number) for number in numbers),
        loaders.service_locations.load_many(numbers),
        return_exceptions=True,
    )

    assert all(isinstance(error, CisUnavailable) for error in failed)
    assert isinstance(locations, list)
    assert all(places for places in locations)
    assert counting.calls["get_bills"] == 1

    counting.failing.clear()  # the failure is not remembered: the next load asks again
    assert all(await bills.load_many(numbers))
    assert counting.calls["get_bills"] == 2


async def test_equal_parameters_share_a_batch_and_different_ones_split(
    counting: CountingCis, simulated: SimulatedCis
) -> None:
    loaders = CisLoaders(counting.as_adapter())
    today = simulated.now().date()
    year = DateRange(today - timedelta(days=365), today)
    quarter = DateRange(today - timedelta(days=91), today)
    midnight = datetime.combine(today, time(), simulated.zone)
    daily = UsageWindow(midnight - timedelta(days=2), midnight, IntervalLength.DAILY)

    first_half, second_half, last_quarter, days, same_days, hours = await asyncio.gather(
        loaders.bills(year).load_many(FARM_ACCOUNTS[:30]),
        loaders.bills(DateRange(year.start, year.end)).load_many(FARM_ACCOUNTS[30:]),
        loaders.bills(quarter).load_many(FARM_ACCOUNTS[:30]),
        loaders.usage(daily).load(DEMO_HOME_METER),
        loaders.usage(UsageWindow(daily.start, daily.end, IntervalLength.DAILY)).load(
            DEMO_HOME_METER
        ),
        loaders.usage(UsageWindow(daily.start, daily.end, IntervalLength.HOURLY)).load(
            DEMO_HOME_METER
        ),
    )

    assert sorted(len(keys) for keys in counting.keys["get_bills"]) == [30, 60]
    assert sorted(len(keys) for keys in counting.keys["get_usage"]) == [1, 1]
    assert all(
        set(quarter_bills) < set(year_bills)
        for quarter_bills, year_bills in zip(last_quarter, first_half, strict=True)
    )
    assert all(second_half)
    assert days is same_days
    assert len(days) == 2
    assert len(hours) >= 46  # two local days: 47 to 49 hours


async def test_the_outage_feed_is_read_once_per_request(counting: CountingCis) -> None:
    adapter = counting.as_adapter()
    loaders = CisLoaders(adapter)

    feeds = await asyncio.gather(*(loaders.active_outages() for _ in range(5)))
    feed = feeds[0]
    assert feed.events
    assert all(other is feed for other in feeds)
    assert await loaders.active_outages() is feed
    event = feed.events[0]
    assert await loaders.outages.load(event.outage_event_id) == event
    assert counting.calls == {"get_active_outages": 1}  # the feed's events need no call

    await CisLoaders(adapter).active_outages()
    assert counting.calls == {"get_active_outages": 2}


async def test_a_requests_loaders_go_with_it_without_the_cycle_collector(
    counting: CountingCis,
) -> None:
    loaders = CisLoaders(counting.as_adapter())
    await loaders.accounts_by_customer.load(FARM_CUSTOMER_ID)
    await loaders.active_outages()
    gone = weakref.ref(loaders)
    gc.disable()  # so only reference counting can free them
    try:
        del loaders
        assert gone() is None
    finally:
        gc.enable()
