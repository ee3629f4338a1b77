"""Reconciling the three ledgers a payment touches: the gateway's payments, the processor's
charges and the CIS's applied payments.

They agree when every approved charge belongs to a payment the gateway charged for that
total, no declined payment was charged, every posted payment's allocations were applied in
the CIS once each for their amounts, and the CIS holds no payment of ours the gateway does
not know. Payments still in flight (charged, not yet applied) are listed, not counted as
differences: the worker finishes them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from adapters.records import DateRange
from gateway.context import Services
from gateway.payments.processor import Charge, ChargeStatus
from gateway.payments.requests import REFERENCE_PREFIX
from gateway.store.models import utc_now
from gateway.store.payments import Payment, PaymentState


@dataclass
class Reconciliation:
    payments: int = 0
    charged_total: Decimal = Decimal("0.00")  # the processor's approved charges
    applied_total: Decimal = Decimal("0.00")  # the CIS's payments with our references
    in_flight: list[str] = field(default_factory=list)  # references not yet applied
    differences: list[str] = field(default_factory=list)


async def reconcile(services: Services) -> Reconciliation:
    processor = services.processor
    if processor is None:
        raise ValueError(f"co-op {services.cooperative.id} takes no payments here")
    async with services.db() as session:
        payments = list(
            await session.scalars(
                select(Payment).where(Payment.cooperative_id == services.cooperative.id)
            )
        )
    result = Reconciliation(payments=len(payments))
    by_reference = {payment.reference: payment for payment in payments}
    charges = await processor.charges()
    approved = {c.reference: c for c in charges if c.status is ChargeStatus.APPROVED}
    result.charged_total = sum((c.amount for c in approved.values()), Decimal("0.00"))
    _check_charges(result, by_reference, approved)
    applied = await _applied_in_cis(services, payments)
    result.applied_total = sum((amount for _, _, amount in applied), Decimal("0.00"))
    _check_applied(result, by_reference, applied)
    return result


def _check_charges(
    result: Reconciliation, by_reference: dict[str, Payment], approved: dict[str, Charge]
) -> None:
    for reference, charge in approved.items():
        payment = by_reference.get(reference)
        amount = charge.amount
        if payment is None:
            result.differences.append(f"charge {reference} ({amount}) has no payment")
        elif payment.state in (PaymentState.DECLINED, PaymentState.FAILED):
            state = payment.state.value
            result.differences.append(f"payment {reference} is {state} but was charged")
        elif payment.total != amount:
            result.differences.append(
                f"payment {reference} is {payment.total} but was charged {amount}"
            )
    for payment in by_reference.values():
        charged = payment.reference in approved
        if payment.state in (PaymentState.CHARGED, PaymentState.POSTED) and not charged:
            result.differences.append(
                f"payment {payment.reference} is {payment.state.value} without a charge"
            )
        if payment.state in (PaymentState.RECORDED, PaymentState.CHARGED):
            result.in_flight.append(payment.reference)


async def _applied_in_cis(
    services: Services, payments: list[Payment]
) -> list[tuple[str, str, Decimal]]:
    """(external reference, account, amount) of every CIS payment with our reference on
    the accounts the gateway paid, since the first payment."""
    if not payments:
        return []
    cooperative = services.cooperative
    first = cooperative.local_date(min(payment.created_at for payment in payments))
    today = cooperative.local_date(utc_now())
    period = DateRange(first - timedelta(days=1), today + timedelta(days=1))
    numbers = sorted({a.account_number for payment in payments for a in payment.allocations})
    found = await services.adapter.get_payments(numbers, period)
    return [
        (record.external_reference, record.account_number, record.amount)
        for records in found.values()
        for record in records
        if record.external_reference and record.external_reference.startswith(REFERENCE_PREFIX)
    ]


def _check_applied(
    result: Reconciliation,
    by_reference: dict[str, Payment],
    applied: list[tuple[str, str, Decimal]],
) -> None:
    expected = {
        allocation.external_reference: (payment, allocation.account_number, allocation.amount)
        for payment in by_reference.values()
        for allocation in payment.allocations
    }
    times = Counter(reference for reference, _, _ in applied)
    for reference, count in times.items():
        if count > 1:
            result.differences.append(f"{reference} was applied {count} times in the CIS")
    for reference, account, amount in applied:
        known = expected.get(reference)
        if known is None:
            result.differences.append(f"the CIS holds {reference} ({amount}), unknown here")
        elif (known[1], known[2]) != (account, amount):
            result.differences.append(
                f"{reference} was applied as {amount} on {account}, not {known[2]} on {known[1]}"
            )
        elif (
            known[0].state is not PaymentState.POSTED and known[0].state is not PaymentState.CHARGED
        ):
            result.differences.append(
                f"{reference} is applied but its payment is {known[0].state.value}"
            )
    for reference, (payment, _, _) in expected.items():
        if payment.state is PaymentState.POSTED and reference not in times:
            result.differences.append(f"{reference} is posted here but not in the CIS")
