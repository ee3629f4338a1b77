"""Payment news, from the gateway's own payments: received (applied in the CIS) or not made
(declined by the card or bank, or never charged), told to every member of each account paid.

The member who paid already got the receipt by e-mail, so their login address is not sent
the same news again (``already_told``); their SMS contacts and the account's other members
are. Each payment is news once per account (its confirmation number is the occasion).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from gateway.context import Services
from gateway.notifications.addresses import service_addresses
from gateway.notifications.kinds import PAYMENT_KINDS, NotificationKind
from gateway.notifications.log import Key, News, logged, record_news
from gateway.notifications.members import login_emails
from gateway.notifications.preferences import subscriptions
from gateway.notifications.wording import money_text
from gateway.store.payments import Payment, PaymentAllocation, PaymentState

LOOKBACK = timedelta(days=2)  # payments that ended this recently are news
_ENDED = {
    PaymentState.POSTED: NotificationKind.PAYMENT_RECEIVED,
    PaymentState.DECLINED: NotificationKind.PAYMENT_DECLINED,
    PaymentState.FAILED: NotificationKind.PAYMENT_DECLINED,
}
_FAILED = "the payment processor could not be reached, and nothing was charged"
_DECLINED = "the card or bank declined it"


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
    if not ended:
        return 0
    wanted: dict[tuple[str, NotificationKind], list[int]] = {}
    for subscription in await subscriptions(services.db, cooperative_id, PAYMENT_KINDS):
        key = (subscription.account_number, subscription.kind)
        wanted.setdefault(key, []).append(subscription.user_id)
    candidates = [
        (payment, allocation, user_id)
        for payment in ended
        for allocation in payment.allocations
        for user_id in wanted.get((allocation.account_number, _ENDED[payment.state]), ())
    ]
    known = await logged(services, (_key(*candidate) for candidate in candidates))
    fresh = [candidate for candidate in candidates if _key(*candidate) not in known]
    if not fresh:
        return 0
    async with services.db() as session:
        payers = await login_emails(session, {payment.user_id for payment, _, _ in fresh})
    addresses = await service_addresses(
        services, sorted({allocation.account_number for _, allocation, _ in fresh})
    )
    news = []
    for payment, allocation, user_id in fresh:
        kind = _ENDED[payment.state]
        reason = _FAILED if payment.state is PaymentState.FAILED else _DECLINED
        number = allocation.account_number
        facts = {
            "account": number,
            "address": addresses[number],
            "amount": money_text(allocation.amount),
            "reference": payment.reference,
            "reason": (payment.decline_message or reason).rstrip("."),
        }
        # The payer's receipt told them of a payment received.
        told = payers.get(payment.user_id) if kind is NotificationKind.PAYMENT_RECEIVED else None
        news.append(News(user_id, number, kind, payment.reference, facts, already_told=told))
    return await record_news(services, news, now)


def _key(payment: Payment, allocation: PaymentAllocation, user_id: int) -> Key:
    return (user_id, allocation.account_number, _ENDED[payment.state], payment.reference)
