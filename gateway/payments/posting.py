"""Applying a charged payment in the CIS: one transaction per allocation.

The allocations go in one ``ProcessPaymentTransactions`` call. The CIS refuses a batch
whole when it refuses one transaction of it (``CisRefused``: a closed account, an account on
payment hold), so after a refusal each allocation is sent alone, to tell the refused ones
from the rest; sending one again is harmless, as the CIS applies each external reference at
most once. A refusal is the CIS's answer and final; any other error (unavailable, a failed
login) is not, and the caller retries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.contract import CisAdapter
from adapters.errors import CisRefused
from adapters.records import PaymentChannel, PaymentReceipt, PaymentTransaction, TenderType
from gateway.payments.processor import MethodKind
from gateway.store.payments import NOTE_LENGTH, Payment, PaymentAllocation, PaymentState


@dataclass
class Posting:
    receipts: list[PaymentReceipt] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)  # external reference: why


def waiting(payment: Payment) -> list[PaymentAllocation]:
    """The allocations neither applied nor refused yet."""
    return [a for a in payment.allocations if a.posted_at is None and a.refusal is None]


async def apply(
    adapter: CisAdapter, payment: Payment, allocations: Sequence[PaymentAllocation]
) -> Posting:
    """Sends ``allocations`` to the CIS; raises `CisUnavailable` when it cannot answer."""
    tender = tender_of(payment.method_kind)
    transactions = [
        PaymentTransaction(
            external_reference=allocation.external_reference,
            account_number=allocation.account_number,
            amount=allocation.amount,
            tender_type=tender,
            channel=PaymentChannel(payment.channel),
            received_at=payment.created_at,
        )
        for allocation in allocations
    ]
    if not transactions:
        return Posting()
    try:
        return Posting(receipts=list(await adapter.process_payments(transactions)))
    except CisRefused as fault:
        if len(transactions) == 1:
            return Posting(refusals={transactions[0].external_reference: _why(fault)})
    posting = Posting()
    for transaction in transactions:
        try:
            posting.receipts.extend(await adapter.process_payments([transaction]))
        except CisRefused as fault:
            posting.refusals[transaction.external_reference] = _why(fault)
    return posting


def outcome(payment: Payment, posting: Posting) -> PaymentState | None:
    """Where the payment ends once ``posting`` is recorded; None while allocations wait."""
    applied = {receipt.external_reference for receipt in posting.receipts}
    refused = 0
    for allocation in payment.allocations:
        reference = allocation.external_reference
        if allocation.refusal is not None or reference in posting.refusals:
            refused += 1
        elif allocation.posted_at is None and reference not in applied:
            return None
    if refused == 0:
        return PaymentState.POSTED
    if refused == len(payment.allocations):
        return PaymentState.REFUNDING  # nothing was applied: the member gets it all back
    return PaymentState.NEEDS_ATTENTION


def tender_of(kind: MethodKind) -> TenderType:
    """How the CIS records a payment made with a method of ``kind``."""
    return TenderType.CARD if kind is MethodKind.CARD else TenderType.ACH


def _why(fault: CisRefused) -> str:
    return str(fault)[:NOTE_LENGTH]
