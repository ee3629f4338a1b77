"""Billing news: a new bill, a due date coming up, a due date missed.

The job reads every subscribed account's balance, recent bills and service addresses from
the CIS in batches (three calls per batch, side by side), on the co-op's local ``today``:

- BILL_READY: the newest bill is dated within the last ``BILL_READY_DAYS`` (once per bill);
- DUE_SOON: something is owed and the due date is the member's ``days_before`` away or
  nearer (once per due date);
- PAST_DUE: part of the balance is past due; once per due date missed (the newest one).

Payments made here but not applied in the CIS yet count as paid.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal

from adapters.records import Account, Bill, DateRange
from gateway.context import Services
from gateway.notifications.addresses import service_addresses
from gateway.notifications.kinds import BILLING_KINDS, NotificationKind
from gateway.notifications.log import News, record_news
from gateway.notifications.preferences import Subscription, by_account_batches
from gateway.notifications.wording import day_text, money_text
from gateway.payments.autopay import BILL_LOOKBACK
from resolvers.pending_payments import pending_totals

BILL_READY_DAYS = 3


async def detect_billing(services: Services, now: datetime) -> int:
    """Logs the billing news of the co-op's local day at ``now``; how many were new."""
    return await by_account_batches(
        services, BILLING_KINDS, lambda numbers, wanted: _batch(services, numbers, wanted, now)
    )


async def _batch(
    services: Services, numbers: list[str], wanted: list[Subscription], now: datetime
) -> int:
    today = services.cooperative.local_date(now)
    adapter = services.adapter
    accounts, bills, addresses, pending = await asyncio.gather(
        adapter.get_accounts(numbers),
        adapter.get_bills(numbers, DateRange(today - BILL_LOOKBACK, today)),
        service_addresses(services, numbers),
        pending_totals(services.db, services.cooperative.id, numbers),
    )
    news = []
    for subscription in wanted:
        number = subscription.account_number
        account = accounts.get(number)
        if account is None:
            continue
        facts = {"account": number, "address": addresses[number]}
        found = _occasion(subscription, account, bills.get(number, ()), pending[number], today)
        if found is not None:
            occasion, details = found
            news.append(
                News(subscription.user_id, number, subscription.kind, occasion, facts | details)
            )
    return await record_news(services, news, now)


def _occasion(
    subscription: Subscription,
    account: Account,
    bills: tuple[Bill, ...],
    pending: Decimal,
    today: date,
) -> tuple[str, dict[str, str]] | None:
    """The subscription's news today, if any: its occasion and the facts to tell."""
    kind = subscription.kind
    owed = account.balance.total - pending
    if kind is NotificationKind.BILL_READY:
        latest = next(iter(bills), None)
        if latest is not None and 0 <= (today - latest.bill_date).days <= BILL_READY_DAYS:
            return latest.bill_id, {
                "amount": money_text(latest.total_due),
                "due_date": day_text(latest.due_date),
            }
    elif kind is NotificationKind.DUE_SOON:
        due = account.payment_due_date
        soon = due is not None and 0 <= (due - today).days <= subscription.choice.days_before
        if due is not None and soon and owed > 0:
            return due.isoformat(), {"amount": money_text(owed), "due_date": day_text(due)}
    elif kind is NotificationKind.PAST_DUE:
        past_due = owed - account.balance.current
        missed = next((bill.due_date for bill in bills if bill.due_date < today), None)
        if past_due > 0 and missed is not None:
            return missed.isoformat(), {
                "amount": money_text(past_due),
                "due_date": day_text(missed),
            }
    return None
