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
from gateway.notifications.log import News, record_news
from gateway.notifications.preferences import Occasion, not_told_yet
from gateway.notifications.wording import day_text, money_text
from gateway.payments.autopay import draft_outcome
from gateway.store.models import User
from gateway.store.payments import AutopayDraft, DraftState, Payment
from resolvers.pending_payments import pending_totals

DONE_DAYS = 2  # drafts of this many local days back are still news


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
    fresh = await not_told_yet(services, AUTOPAY_KINDS, drafts, lambda found: _occasion(found[0]))
    if not fresh:
        return 0
    numbers = sorted({draft.account_number for (draft, _, _), _ in fresh})
    accounts, addresses, pending = await asyncio.gather(
        services.adapter.get_accounts(numbers),
        service_addresses(services, numbers),
        pending_totals(services.db, cooperative_id, numbers),
    )
    news = []
    for (draft, payment, enrollee_email), user_id in fresh:
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


def _occasion(draft: AutopayDraft) -> Occasion:
    return (draft.account_number, _kind(draft), draft.bill_id)


def _outcome(draft: AutopayDraft, payment: Payment | None) -> str:
    if payment is None:
        return f"was not made: {draft.reason or 'there was nothing to pay'}"
    return f"of {money_text(payment.amount)} {draft_outcome(payment.state)}"
