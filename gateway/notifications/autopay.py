"""Autopay news, read from the autopay round's draft rows (``gateway.payments.autopay``): a
draft coming up (once its reminder went out) and a draft done (paid, declined, or not made
because of the member's ceiling), once per bill.

The autopay round e-mails the enrolled member itself, whatever their preferences; so their
login address is not sent the same news again (``already_told``), while their SMS contacts,
other e-mail contacts and the account's other members get it as they chose.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from gateway.context import Services
from gateway.notifications.addresses import service_addresses
from gateway.notifications.kinds import AUTOPAY_KINDS, NotificationKind
from gateway.notifications.log import Key, News, logged, record_news
from gateway.notifications.preferences import subscriptions
from gateway.notifications.wording import day_text, money_text
from gateway.store.models import User
from gateway.store.payments import AutopayDraft, DraftState, Payment, PaymentState
from resolvers.pending_payments import pending_payments_loader, pending_total

DONE_DAYS = 2  # drafts of this many local days back are still news
_PAID = {
    PaymentState.POSTED: "was paid",
    PaymentState.DECLINED: "was declined by the card or bank: please pay another way",
    PaymentState.FAILED: "could not be charged: please pay another way",
}


async def detect_autopay(services: Services, now: datetime) -> int:
    """Logs the news of recent drafts; how many were new."""
    cooperative_id = services.cooperative.id
    today = services.cooperative.local_date(now)
    async with services.db() as session:
        drafts = list(
            await session.execute(
                select(AutopayDraft, Payment, User.email)
                .outerjoin(Payment, Payment.id == AutopayDraft.payment_id)
                .outerjoin(User, User.id == AutopayDraft.user_id)
                .where(
                    AutopayDraft.cooperative_id == cooperative_id,
                    or_(
                        and_(
                            AutopayDraft.state == DraftState.SCHEDULED,
                            AutopayDraft.reminded_at.is_not(None),
                            AutopayDraft.draft_on > today,
                        ),
                        and_(
                            AutopayDraft.state != DraftState.SCHEDULED,
                            AutopayDraft.draft_on >= today - timedelta(days=DONE_DAYS),
                        ),
                    ),
                )
            )
        )
    if not drafts:
        return 0
    wanted: dict[tuple[str, NotificationKind], list[int]] = {}
    drafted = {draft.account_number for draft, _, _ in drafts}
    for subscription in await subscriptions(services.db, cooperative_id, AUTOPAY_KINDS, drafted):
        key = (subscription.account_number, subscription.kind)
        wanted.setdefault(key, []).append(subscription.user_id)
    candidates = [
        (draft, payment, told, user_id)
        for draft, payment, told in drafts
        for user_id in wanted.get((draft.account_number, _kind(draft)), ())
    ]
    known = await logged(services, (_key(draft, user_id) for draft, _, _, user_id in candidates))
    fresh = [item for item in candidates if _key(item[0], item[3]) not in known]
    if not fresh:
        return 0
    numbers = sorted({draft.account_number for draft, _, _, _ in fresh})
    loader = pending_payments_loader(services.db, cooperative_id)
    accounts, addresses, in_flight = await asyncio.gather(
        services.adapter.get_accounts(numbers),
        service_addresses(services, numbers),
        loader.load_many(numbers),
    )
    pending = dict(zip(numbers, (pending_total(found) for found in in_flight), strict=True))
    news = []
    for draft, payment, enrollee_email, user_id in fresh:
        number = draft.account_number
        facts = {"account": number, "address": addresses[number]}
        account = accounts.get(number)
        if draft.state is not DraftState.SCHEDULED:
            facts["outcome"] = _outcome(draft, payment)
        elif account is not None:
            owed = account.balance.total - pending[number]
            facts |= {"draft_on": day_text(draft.draft_on), "amount": money_text(owed)}
        else:
            continue
        news.append(
            News(user_id, number, _kind(draft), draft.bill_id, facts, already_told=enrollee_email)
        )
    return await record_news(services, news, now)


def _kind(draft: AutopayDraft) -> NotificationKind:
    if draft.state is DraftState.SCHEDULED:
        return NotificationKind.AUTOPAY_UPCOMING
    return NotificationKind.AUTOPAY_DONE


def _key(draft: AutopayDraft, user_id: int) -> Key:
    return (user_id, draft.account_number, _kind(draft), draft.bill_id)


def _outcome(draft: AutopayDraft, payment: Payment | None) -> str:
    if payment is None:
        return f"was not made: {draft.reason or 'there was nothing to pay'}"
    done = _PAID.get(payment.state, "is being processed")
    return f"of {money_text(payment.amount)} {done}"
