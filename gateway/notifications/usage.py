"""Usage alerts: yesterday's kWh, or its estimated cost, above the member's threshold.

Yesterday is the co-op's local day before ``now``. The job reads the subscribed accounts'
service locations and rates, then the meters' daily usage of that day, in batch calls; an
account whose day is not measured yet is looked at again on the next run. kWh is what the
meters delivered; the cost is estimated as the usage pages price a whole day: net kWh
(delivered minus received) at the rate's energy charge plus its fixed daily charge.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from decimal import Decimal

from adapters.records import IntervalLength
from gateway.context import Services
from gateway.notifications.addresses import addresses_text
from gateway.notifications.kinds import NotificationKind
from gateway.notifications.log import News, record_news
from gateway.notifications.preferences import Subscription, subscriptions
from gateway.notifications.wording import day_text, money_text

BATCH = 500  # accounts at a time
_TENTH = Decimal("0.1")


async def detect_usage(services: Services, now: datetime) -> int:
    """Logs the alerts of the local day before ``now``; how many were new."""
    wanted = await subscriptions(
        services.db, services.cooperative.id, (NotificationKind.USAGE_ALERT,)
    )
    numbers = sorted({subscription.account_number for subscription in wanted})
    recorded = 0
    for start in range(0, len(numbers), BATCH):
        batch = numbers[start : start + BATCH]
        chosen = [subscription for subscription in wanted if subscription.account_number in batch]
        recorded += await _batch(services, batch, chosen, now)
    return recorded


async def _batch(
    services: Services, numbers: list[str], wanted: list[Subscription], now: datetime
) -> int:
    zone = services.cooperative.time_zone
    today = services.cooperative.local_date(now)
    day = today - timedelta(days=1)
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
    usage = await adapter.get_usage(
        sorted(account_of),
        datetime.combine(day, time(), zone),
        datetime.combine(today, time(), zone),
        IntervalLength.DAILY,
    )
    delivered: dict[str, Decimal] = {}
    received: dict[str, Decimal] = {}
    for meter, intervals in usage.items():
        number = account_of[meter]
        for interval in intervals:
            delivered[number] = delivered.get(number, Decimal(0)) + interval.kwh_delivered
            received[number] = received.get(number, Decimal(0)) + interval.kwh_received
    news = []
    for subscription in wanted:
        number = subscription.account_number
        if number not in delivered:
            continue  # not measured yet
        kwh = delivered[number]
        rate = rates.get(number)
        cost = None
        if rate is not None:
            cost = (kwh - received[number]) * rate.energy_charge_per_kwh + rate.fixed_daily_charge
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
        news.append(
            News(subscription.user_id, number, NotificationKind.USAGE_ALERT, day.isoformat(), facts)
        )
    return await record_news(services, news, now)


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
