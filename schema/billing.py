"""Bills with their itemized charges, and payments: the CIS's, and ours it has not applied."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import strawberry

from adapters import records
from gateway.payments.posting import tender_of
from resolvers.pending_payments import PendingAllocation
from schema.enums import PaymentChannel, PaymentStatus, TenderType
from schema.scalars import Money


@strawberry.type
class ChargeLine:
    description: str
    amount: Money


@strawberry.type
class Bill:
    id: strawberry.ID = strawberry.field(description="The CIS's bill id.")
    bill_date: date
    period_start: date
    period_end: date
    due_date: date
    prior_balance: Money
    payments_applied: Money
    charges: list[ChargeLine]
    total_due: Money
    kwh_billed: Decimal = strawberry.field(name="kWhBilled", description="Energy billed, kWh.")

    @classmethod
    def from_record(cls, bill: records.Bill) -> Bill:
        return cls(
            id=strawberry.ID(bill.bill_id),
            bill_date=bill.bill_date,
            period_start=bill.period_start,
            period_end=bill.period_end,
            due_date=bill.due_date,
            prior_balance=Money(bill.prior_balance),
            payments_applied=Money(bill.payments_applied),
            charges=[
                ChargeLine(description=line.description, amount=Money(line.amount))
                for line in bill.charges
            ],
            total_due=Money(bill.total_due),
            kwh_billed=bill.kwh_billed,
        )


@strawberry.type(
    description="A payment in an account's history: applied by the CIS, or made here and not"
    " applied yet (PENDING), or refused by the CIS and being settled by staff (NEEDS_ATTENTION)."
)
class Payment:
    id: strawberry.ID = strawberry.field(
        description="The CIS's payment id; until the CIS applies it, its external reference."
    )
    amount: Money
    tender_type: TenderType
    channel: PaymentChannel
    status: PaymentStatus = strawberry.field(
        description="In a history: POSTED, PENDING or NEEDS_ATTENTION (see PaymentStatus)."
    )
    made_at: datetime = strawberry.field(
        description="When it was paid: for a payment made here, when the member paid."
    )
    posted_at: datetime | None = strawberry.field(
        description="When the CIS applied it; null until then."
    )
    external_reference: str | None = strawberry.field(
        description="The payer's confirmation number, when the payment came with one."
    )

    @classmethod
    def from_record(cls, payment: records.Payment, zone: ZoneInfo) -> Payment:
        posted_at = payment.posted_at.astimezone(zone)
        return cls(
            id=strawberry.ID(payment.payment_id),
            amount=Money(payment.amount),
            tender_type=payment.tender_type,
            channel=payment.channel,
            status=PaymentStatus.POSTED,
            made_at=posted_at,
            posted_at=posted_at,
            external_reference=payment.external_reference,
        )

    @classmethod
    def pending(cls, allocation: PendingAllocation, zone: ZoneInfo) -> Payment:
        return cls(
            id=strawberry.ID(allocation.external_reference),
            amount=Money(allocation.amount),
            tender_type=tender_of(allocation.method_kind),
            channel=PaymentChannel(allocation.channel),
            status=pending_status(allocation),
            made_at=allocation.created_at.astimezone(zone),
            posted_at=None,
            external_reference=allocation.external_reference,
        )


def pending_status(allocation: PendingAllocation) -> PaymentStatus:
    """PENDING, or NEEDS_ATTENTION once the CIS refused it."""
    return PaymentStatus.NEEDS_ATTENTION if allocation.refused else PaymentStatus.PENDING
