"""Reconciling the three ledgers a payment touches: the gateway's payments, the processor's
charges and the CIS's applied payments.

They agree when every approved charge belongs to a payment the gateway charged for that
total, no payment that ended uncharged (declined, failed, refunded) is charged, every applied
allocation was applied in the CIS once for its amount, and the CIS holds no payment of ours
the gateway does not know. Payments still moving are listed as in flight, not counted as
differences: the worker finishes them. Payments the CIS refused in part are listed for the
co-op's staff, who apply or refund the refused part.

The ledgers are read one after the other while payments go on, so the gateway's payments are
read before and after the other two: a payment that moved in between is in flight, and a
charge made meanwhile finds its payment in the second read. Charges of other co-ops served
by this database under the same processor key are theirs, not differences.
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
from gateway.store.payments import UNFINISHED, Payment, PaymentState

# States that took the member's money and kept it (applied, applying, or left for staff).
_KEPT = (
    PaymentState.CHARGED,
    PaymentState.POSTED,
    PaymentState.NEEDS_ATTENTION,
    PaymentState.SETTLED,
)


@dataclass
class Reconciliation:
    payments: int = 0
    charged_total: Decimal = Decimal("0.00")  # the processor's approved charges
    applied_total: Decimal = Decimal("0.00")  # the CIS's payments with our references
    in_flight: list[str] = field(default_factory=list)  # references still moving
    needs_attention: list[str] = field(default_factory=list)  # refused parts, for staff
    differences: list[str] = field(default_factory=list)
    moved: set[str] = field(default_factory=set)  # payments that changed while being read

    def differ(self, reference: str, difference: str) -> None:
        if reference not in self.moved:
            self.differences.append(difference)


async def reconcile(services: Services) -> Reconciliation:
    processor = services.processor
    if processor is None:
        raise ValueError(f"co-op {services.cooperative.id} takes no payments here")
    payments = await _payments(services)
    charges = await processor.charges()
    applied = await _applied_in_cis(services, list(payments.values()))
    after = await _payments(services)
    result = Reconciliation(payments=len(payments))
    # The state only: a retry changes nothing else a difference could be about.
    result.moved = {
        reference
        for reference, payment in after.items()
        if reference not in payments or payments[reference].state is not payment.state
    }
    result.in_flight = sorted(
        {p.reference for p in after.values() if p.state in UNFINISHED} | result.moved
    )
    unmatched = [c.reference for c in charges if c.reference not in after]
    others = await _other_cooperatives_references(services, unmatched)
    approved = {
        c.reference: c
        for c in charges
        if c.status is ChargeStatus.APPROVED and c.reference not in others
    }
    result.charged_total = sum((c.amount for c in approved.values()), Decimal("0.00"))
    _check_charges(result, payments, approved)
    result.applied_total = sum((amount for _, _, amount in applied), Decimal("0.00"))
    _check_applied(result, payments, applied)
    return result


async def _payments(services: Services) -> dict[str, Payment]:
    async with services.db() as session:
        found = await session.scalars(
            select(Payment).where(Payment.cooperative_id == services.cooperative.id)
        )
        return {payment.reference: payment for payment in found}


async def _other_cooperatives_references(services: Services, references: list[str]) -> set[str]:
    """Which of ``references`` another co-op of this database made (a shared processor key)."""
    if not references:
        return set()
    async with services.db() as session:
        found = await session.scalars(
            select(Payment.reference).where(
                Payment.cooperative_id != services.cooperative.id,
                Payment.reference.in_(references),
            )
        )
        return set(found)


def _check_charges(
    result: Reconciliation, by_reference: dict[str, Payment], approved: dict[str, Charge]
) -> None:
    for reference, charge in approved.items():
        payment = by_reference.get(reference)
        amount = charge.amount
        if payment is None:
            result.differ(reference, f"charge {reference} ({amount}) has no payment")
        elif payment.state in (PaymentState.DECLINED, PaymentState.FAILED, PaymentState.REFUNDED):
            state = payment.state.value
            result.differ(reference, f"payment {reference} is {state} but was charged")
        elif payment.total != amount:
            result.differ(
                reference, f"payment {reference} is {payment.total} but was charged {amount}"
            )
    for payment in by_reference.values():
        if payment.state in _KEPT and payment.reference not in approved:
            result.differ(
                payment.reference,
                f"payment {payment.reference} is {payment.state.value} without a charge",
            )
        if payment.state is PaymentState.NEEDS_ATTENTION:
            result.needs_attention.extend(
                f"{allocation.external_reference}: ${allocation.amount} on account"
                f" {allocation.account_number}, refused: {allocation.refusal}"
                for allocation in payment.allocations
                if allocation.refusal is not None
            )


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
        allocation.external_reference: (payment, allocation)
        for payment in by_reference.values()
        for allocation in payment.allocations
    }
    times = Counter(reference for reference, _, _ in applied)
    for reference, count in times.items():
        if count > 1:
            result.differ(_payment_of(reference), f"{reference} was applied {count} times")
    for reference, account, amount in applied:
        known = expected.get(reference)
        if known is None:
            difference = f"the CIS holds {reference} ({amount}), unknown here"
            result.differ(_payment_of(reference), difference)
            continue
        payment, allocation = known
        if (allocation.account_number, allocation.amount) != (account, amount):
            result.differ(
                payment.reference,
                f"{reference} was applied as {amount} on {account},"
                f" not {allocation.amount} on {allocation.account_number}",
            )
        elif payment.state not in _KEPT or allocation.refusal is not None:
            result.differ(
                payment.reference, f"{reference} is applied but its payment is refused or ended"
            )
    for reference, (payment, allocation) in expected.items():
        must_be_applied = payment.state in _KEPT and payment.state is not PaymentState.CHARGED
        if must_be_applied and allocation.refusal is None and reference not in times:
            result.differ(payment.reference, f"{reference} is applied here but not in the CIS")


def _payment_of(external_reference: str) -> str:
    """The payment reference of an allocation's external reference ("CP-…-2")."""
    return external_reference.rpartition("-")[0]
