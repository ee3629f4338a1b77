"""A payment's steps after it is recorded: charge at the processor, then apply in the CIS.

`advance` takes a payment as far as it can go now. Every step is safe to repeat: the
processor keeps one charge per payment reference, and the CIS applies each allocation's
external reference at most once; so a step interrupted by a crash, a timeout or a second
process is simply taken again. Each state change is conditional on the state it leaves, so
of two processes finishing the same step only one records it (and sends the receipt).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.errors import CisError
from gateway.context import Services
from gateway.payments import messages, posting
from gateway.payments.processor import (
    Charge,
    ChargeStatus,
    PaymentProcessor,
    ProcessorUnavailable,
)
from gateway.store.models import utc_now
from gateway.store.payments import NOTE_LENGTH, Payment, PaymentAllocation, PaymentState

LEASE = timedelta(seconds=60)  # how long one process may work on a payment undisturbed
# Charge attempts the processor may fail (about ten minutes of retries) before a payment it
# never charged is given up as FAILED.
MAX_CHARGE_ATTEMPTS = 8
_FIRST_RETRY = timedelta(seconds=5)
_LAST_RETRY = timedelta(minutes=15)

logger = logging.getLogger(__name__)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 5 s, 10 s, 20 s … up to 15 minutes between tries."""
    delay: timedelta = _FIRST_RETRY * 2 ** min(attempts, 20)
    return min(delay, _LAST_RETRY)


async def advance(services: Services, payment_id: int, *, recovering: bool = False) -> Payment:
    """Charges and posts the payment as far as possible now; the payment as it then is.

    ``recovering``: the payment may have been charged by a process that died, so the
    processor is asked before charging. Any failure leaves it for a retry with backoff.
    """
    try:
        return await _advance(services, payment_id, recovering=recovering)
    except Exception as error:
        logger.exception("payment %d stopped short; it is retried later", payment_id)
        await retry_later(
            services, await load(services, payment_id), f"unexpected: {type(error).__name__}"
        )
        return await load(services, payment_id)


async def _advance(services: Services, payment_id: int, *, recovering: bool) -> Payment:
    while True:
        payment = await load(services, payment_id)
        if payment.state is PaymentState.RECORDED:
            moved = await _charge(services, payment, recovering=recovering)
        elif payment.state is PaymentState.CHARGED:
            moved = await _post(services, payment)
        elif payment.state is PaymentState.REFUNDING:
            moved = await _refund(services, payment)
        else:
            return payment
        if not moved:
            return await load(services, payment_id)


async def load(services: Services, payment_id: int) -> Payment:
    async with services.db() as session:
        payment = await session.get(Payment, payment_id, populate_existing=True)
        if payment is None:
            raise LookupError(f"no payment {payment_id}")
        return payment


async def _charge(services: Services, payment: Payment, *, recovering: bool) -> bool:
    processor = _processor_of(services, payment)
    try:
        charge = await processor.find_charge(payment.reference) if recovering else None
        if charge is None:
            charge = await processor.charge(payment.reference, payment.method_token, payment.total)
    except ProcessorUnavailable as error:
        if payment.attempts + 1 >= MAX_CHARGE_ATTEMPTS and await _surely_uncharged(
            processor, payment
        ):
            await _fail(services, payment, f"the processor failed {MAX_CHARGE_ATTEMPTS} times")
        else:
            await retry_later(services, payment, f"processor: {error}")
        return False
    if charge.status is ChargeStatus.REFUNDED:  # given back at the processor: not paid
        await _fail(services, payment, "the charge was refunded")
        return False
    if charge.amount != payment.total:  # only a broken processor could do this
        raise RuntimeError(
            f"payment {payment.reference}: charged {charge.amount}, not {payment.total}"
        )
    return await _record_charge(services, payment, charge)


def _processor_of(services: Services, payment: Payment) -> PaymentProcessor:
    if services.processor is None:
        raise RuntimeError(f"co-op {payment.cooperative_id} has no payment processor")
    return services.processor


async def _surely_uncharged(processor: PaymentProcessor, payment: Payment) -> bool:
    try:
        return await processor.find_charge(payment.reference) is None
    except ProcessorUnavailable:
        return False


async def _fail(services: Services, payment: Payment, why: str) -> None:
    async with services.db.begin() as session:
        await session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.state == PaymentState.RECORDED)
            .values(
                state=PaymentState.FAILED,
                leased_until=None,
                last_error=why[:NOTE_LENGTH],
                updated_at=utc_now(),
            )
        )
    logger.warning("payment %s failed, nothing charged: %s", payment.reference, why)


async def _record_charge(services: Services, payment: Payment, charge: Charge) -> bool:
    approved = charge.status is ChargeStatus.APPROVED
    values: dict[str, object] = {"charge_id": charge.charge_id, "updated_at": utc_now()}
    if approved:
        values |= {"state": PaymentState.CHARGED}
    else:
        values |= {
            "state": PaymentState.DECLINED,
            "decline_reason": None
            if charge.decline_reason is None
            else charge.decline_reason.value,
            "decline_message": (charge.decline_message or "")[:NOTE_LENGTH] or None,
            "leased_until": None,
        }
    async with services.db.begin() as session:
        await session.execute(
            update(Payment)
            .where(Payment.id == payment.id, Payment.state == PaymentState.RECORDED)
            .values(**values)
        )
    logger.info(
        "payment %s %s by the processor (charge %s)",
        payment.reference,
        "approved" if approved else "declined",
        charge.charge_id,
    )
    return approved


async def _post(services: Services, payment: Payment) -> bool:
    try:
        result = await posting.apply(services.adapter, payment, posting.waiting(payment))
    except CisError as error:  # not an answer (a refusal is): try again later
        await retry_later(services, payment, f"CIS: {error}")
        return False
    ended = posting.outcome(payment, result)
    if ended is None:  # only a broken adapter answers for some transactions and not others
        await retry_later(services, payment, "the CIS did not answer for every allocation")
        return False
    now = utc_now()
    async with services.db.begin() as session:
        # The end first: of two processes posting the same payment, the one that loses it
        # writes nothing (the winner recorded the same receipts).
        if not await _move(session, payment, PaymentState.CHARGED, ended):
            return True
        for receipt in result.receipts:
            await session.execute(
                update(PaymentAllocation)
                .where(
                    PaymentAllocation.external_reference == receipt.external_reference,
                    PaymentAllocation.posted_at.is_(None),
                )
                .values(cis_payment_id=receipt.payment_id, posted_at=receipt.posted_at)
            )
        for reference, refusal in result.refusals.items():
            await session.execute(
                update(PaymentAllocation)
                .where(
                    PaymentAllocation.external_reference == reference,
                    PaymentAllocation.posted_at.is_(None),
                )
                .values(refusal=refusal)
            )
    if ended is PaymentState.POSTED:
        logger.info("payment %s applied in the CIS", payment.reference)
        await messages.send_receipt(services, payment, now)  # nothing it tells has changed
    elif ended is PaymentState.NEEDS_ATTENTION:
        logger.error(
            "payment %s: the CIS refused part of it, which the co-op must apply or refund: %s",
            payment.reference,
            "; ".join(result.refusals.values()),
        )
        # Read again: the mail names the refused allocations, just written.
        await messages.send_needs_attention(services, await load(services, payment.id))
    else:
        logger.warning("payment %s: the CIS refused all of it; refunding", payment.reference)
    return True


async def _refund(services: Services, payment: Payment) -> bool:
    processor = _processor_of(services, payment)
    try:
        charge = await processor.refund(payment.reference)
    except ProcessorUnavailable as error:
        await retry_later(services, payment, f"processor: {error}")
        return False
    except ValueError as error:  # the processor will not refund it: a person must look
        logger.error("payment %s cannot be refunded, left for staff: %s", payment.reference, error)
        async with services.db.begin() as session:
            await _move(session, payment, PaymentState.REFUNDING, PaymentState.NEEDS_ATTENTION)
        return True
    if charge.status is not ChargeStatus.REFUNDED:  # only a broken processor could do this
        raise RuntimeError(f"payment {payment.reference}: the refund left it {charge.status}")
    async with services.db.begin() as session:
        moved = await _move(session, payment, PaymentState.REFUNDING, PaymentState.REFUNDED)
    if moved:
        logger.info("payment %s refunded (charge %s)", payment.reference, charge.charge_id)
        await messages.send_refunded(services, payment)
    return True


async def _move(
    session: AsyncSession, payment: Payment, leaving: PaymentState, entering: PaymentState
) -> bool:
    """Moves the payment from ``leaving`` to ``entering``; False when another process did."""
    moved = await session.scalar(
        update(Payment)
        .where(Payment.id == payment.id, Payment.state == leaving)
        .values(state=entering, updated_at=utc_now(), leased_until=None, last_error=None)
        .returning(Payment.id)
    )
    return moved is not None


async def retry_later(services: Services, payment: Payment, error: str) -> None:
    now = utc_now()
    delay = retry_delay(payment.attempts)
    async with services.db.begin() as session:
        await session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(
                attempts=Payment.attempts + 1,
                next_attempt_at=now + delay,
                leased_until=None,
                last_error=error[:NOTE_LENGTH],
                updated_at=now,
            )
        )
    logger.warning(
        "payment %s left %s, retried in %s: %s",
        payment.reference,
        payment.state.value,
        delay,
        error,
    )
