"""Payment news, from the gateway's own payments, told to every member of each account paid:

- PAYMENT_RECEIVED for each allocation applied in the CIS: a payment POSTED, and the
  applied part of one the CIS refused in part (NEEDS_ATTENTION, and SETTLED after it);
- PAYMENT_DECLINED for a payment not made: declined by the card or bank, never charged
  (FAILED), or refused by the CIS and its charge refunded (REFUNDED).

The refused part of a payment the CIS refused in part is no news here: the co-op's staff
settle it (apply it by hand or refund it) and tell the payer, who was e-mailed already.
The payer's receipt, refund or needs-attention e-mail told them already, so their login
address is not sent the same news again (``already_told``); their SMS contacts and the
account's other members are. Each payment is news once per account (its confirmation
number is the occasion).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from gateway.context import Services
from gateway.notifications.addresses import service_addresses
from gateway.notifications.kinds import PAYMENT_KINDS, NotificationKind
from gateway.notifications.log import News, record_news
from gateway.notifications.members import login_emails
from gateway.notifications.preferences import Occasion, not_told_yet
from gateway.notifications.wording import money_text
from gateway.store.payments import Payment, PaymentAllocation, PaymentState

LOOKBACK = timedelta(days=2)  # payments that ended this recently are news
_RECEIVED, _DECLINED = NotificationKind.PAYMENT_RECEIVED, NotificationKind.PAYMENT_DECLINED
_ENDED = {
    PaymentState.POSTED: _RECEIVED,
    PaymentState.NEEDS_ATTENTION: _RECEIVED,  # for the allocations applied
    PaymentState.SETTLED: _RECEIVED,  # likewise, if it was settled before this job saw it
    PaymentState.DECLINED: _DECLINED,
    PaymentState.FAILED: _DECLINED,
    PaymentState.REFUNDED: _DECLINED,
}
# The payer had an e-mail of these from the payment flow: a receipt, a refund, or staff's.
_EMAILED = {
    PaymentState.POSTED,
    PaymentState.NEEDS_ATTENTION,
    PaymentState.SETTLED,
    PaymentState.REFUNDED,
}
_REASONS = {
    PaymentState.DECLINED: "the card or bank declined it",
    PaymentState.FAILED: "the payment processor could not be reached, and nothing was charged",
    PaymentState.REFUNDED: "the co-op could not apply it to the account, and it was refunded",
}


# A payment, one of its allocations, and what that account is told of it.
_AllocationNews = tuple[Payment, PaymentAllocation, NotificationKind]


@dataclass(frozen=True, slots=True)
class _Told:
    """A member of an account a payment was for, and what they are told of it."""

    payment: Payment
    allocation: PaymentAllocation
    kind: NotificationKind
    user_id: int


def news_kind(payment: Payment, allocation: PaymentAllocation) -> NotificationKind | None:
    """What the allocation's account is told of the payment; None: nothing."""
    if payment.state in (PaymentState.NEEDS_ATTENTION, PaymentState.SETTLED):
        return _RECEIVED if allocation.posted_at is not None else None
    return _ENDED.get(payment.state)


async def detect_payments(services: Services, now: datetime) -> int:
    """Logs news of the payments that ended in the last ``LOOKBACK``; how many were new."""
    cooperative_id = services.cooperative.id
    async with services.db() as session:
        ended = list(
            await session.scalars(
                select(Payment)
                .where(
                    Payment.cooperative_id == cooperative_id,
                    Payment.state.in_(list(_ENDED)),
                    Payment.updated_at > now - LOOKBACK,
                    Payment.updated_at <= now,
                )
                .order_by(Payment.id)
            )
        )
    ended_for: list[_AllocationNews] = [
        (payment, allocation, kind)
        for payment in ended
        for allocation in payment.allocations
        if (kind := news_kind(payment, allocation)) is not None
    ]
    if not ended_for:
        return 0
    told = await not_told_yet(services, PAYMENT_KINDS, ended_for, _occasion)
    fresh = [_Told(*ended, user_id) for ended, user_id in told]
    if not fresh:
        return 0
    return await record_news(services, await _news(services, fresh), now)


def _occasion(ended: _AllocationNews) -> Occasion:
    payment, allocation, kind = ended
    return (allocation.account_number, kind, payment.reference)


async def _news(services: Services, fresh: list[_Told]) -> list[News]:
    async with services.db() as session:
        payers = await login_emails(session, {item.payment.user_id for item in fresh})
    addresses = await service_addresses(
        services, sorted({item.allocation.account_number for item in fresh})
    )
    news = []
    for item in fresh:
        payment, number = item.payment, item.allocation.account_number
        reason = payment.decline_message or _REASONS.get(payment.state, "")
        facts = {
            "account": number,
            "address": addresses[number],
            "amount": money_text(item.allocation.amount),
            "reference": payment.reference,
            "reason": reason.rstrip("."),
        }
        told = payers.get(payment.user_id) if payment.state in _EMAILED else None
        news.append(
            News(item.user_id, number, item.kind, payment.reference, facts, already_told=told)
        )
    return news
