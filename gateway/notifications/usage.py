"""Usage alerts: a day's kWh, or its estimated cost, above the member's threshold.

Each run looks at the co-op's last ``LOOKBACK_DAYS`` local days before ``now``: meter data
can come in a day or two late, and a day not measured yet is looked at again on the next
run (each day is news once: it is the alert's occasion). The job reads the subscribed
accounts' service locations and rates, then the meters' daily usage of those days, in
batch calls. kWh is what the meters delivered; the cost is estimated as the usage pages
estimate it (``resolvers.usage``): net kWh (delivered minus received) at the rate's energy
charge, hour by hour at the time-of-use period's charge on a time-of-use rate (its hourly
usage read alongside), plus the fixed daily charge.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from adapters.records import IntervalLength, RateSchedule, UsageInterval
from gateway.context import Services
from gateway.notifications.addresses import addresses_text
from gateway.notifications.kinds import NotificationKind
from gateway.notifications.log import News, record_news
from gateway.notifications.preferences import Subscription, by_account_batches
from gateway.notifications.wording import day_text, money_text
from resolvers.usage import day_costs

LOOKBACK_DAYS = 3
_TENTH = Decimal("0.1")


@dataclass(slots=True)
class _Day:
    """One account's local day, summed over its meters."""

    cost: Decimal | None  # None: the account has no rate schedule
    delivered: Decimal = Decimal(0)


async def detect_usage(services: Services, now: datetime) -> int:
    """Logs the alerts of the last local days before ``now``; how many were new."""
    return await by_account_batches(
        services,
        (NotificationKind.USAGE_ALERT,),
        lambda numbers, wanted: _batch(services, numbers, wanted, now),
    )


async def _batch(
    services: Services, numbers: list[str], wanted: list[Subscription], now: datetime
) -> int:
    zone = services.cooperative.time_zone
    today = services.cooperative.local_date(now)
    first = today - timedelta(days=LOOKBACK_DAYS)
    adapter = services.adapter
    locations, rates = await asyncio.gather(
        adapter.get_service_locations(numbers), adapter.get_rate_schedules(numbers)
    )
    account_of = {
        meter: number
        for number, found in locations.items()
        for location in found
        for meter in location.meter_numbers
    }
    by_hour = [meter for meter, number in account_of.items() if _time_of_use(rates.get(number))]
    start, end = datetime.combine(first, time(), zone), datetime.combine(today, time(), zone)
    reads = [adapter.get_usage(sorted(account_of), start, end, IntervalLength.DAILY)]
    if by_hour:
        reads.append(adapter.get_usage(by_hour, start, end, IntervalLength.HOURLY))
    daily, *hourly = await asyncio.gather(*reads)
    days = _days(daily, hourly[0] if hourly else {}, account_of, rates, zone)
    news = []
    for subscription in wanted:
        number = subscription.account_number
        for offset in range(LOOKBACK_DAYS):
            day = first + timedelta(days=offset)
            measured = days.get((number, day))
            if measured is None:
                continue  # not measured yet
            kwh, cost = measured.delivered, measured.cost
            passed = _passed(subscription, kwh, cost)
            if not passed:
                continue
            facts = {
                "account": number,
                "address": addresses_text(locations.get(number, ())),
                "kwh": f"{kwh.quantize(_TENTH)}",
                "usage": _usage_text(kwh, cost),
                "day": day_text(day),
                "threshold": passed,
            }
            kind = NotificationKind.USAGE_ALERT
            news.append(News(subscription.user_id, number, kind, day.isoformat(), facts))
    return await record_news(services, news, now)


def _time_of_use(rate: RateSchedule | None) -> bool:
    return rate is not None and bool(rate.time_of_use_periods)


def _days(
    daily: Mapping[str, Sequence[UsageInterval]],
    hourly: Mapping[str, Sequence[UsageInterval]],
    account_of: Mapping[str, str],
    rates: Mapping[str, RateSchedule],
    zone: ZoneInfo,
) -> dict[tuple[str, date], _Day]:
    """Each measured day of each account, summed over its meters and priced as the usage
    pages price it (``resolvers.usage.day_costs``)."""
    days_of: dict[str, list[UsageInterval]] = defaultdict(list)
    hours_of: dict[str, list[UsageInterval]] = defaultdict(list)
    for meter, intervals in daily.items():
        days_of[account_of[meter]].extend(intervals)
    for meter, intervals in hourly.items():
        hours_of[account_of[meter]].extend(intervals)
    days: dict[tuple[str, date], _Day] = {}
    for number, intervals in days_of.items():
        rate = rates.get(number)
        costs = {} if rate is None else day_costs(rate, intervals, hours_of[number], zone)
        for interval in intervals:
            local_day = interval.start.astimezone(zone).date()
            day = days.setdefault((number, local_day), _Day(costs.get(local_day)))
            day.delivered += interval.kwh_delivered
    return days


def _passed(subscription: Subscription, kwh: Decimal, cost: Decimal | None) -> str:
    """The thresholds passed, as the message names them ("" for none)."""
    choice = subscription.choice
    passed = []
    if choice.threshold_kwh is not None and kwh > choice.threshold_kwh:
        passed.append(f"{choice.threshold_kwh} kWh")
    if choice.threshold_cost is not None and cost is not None and cost > choice.threshold_cost:
        passed.append(money_text(choice.threshold_cost))
    return " and ".join(passed)


def _usage_text(kwh: Decimal, cost: Decimal | None) -> str:
    text = f"{kwh.quantize(_TENTH)} kWh"
    return text if cost is None else f"{text} (about {money_text(cost)})"
