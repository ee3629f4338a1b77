"""Bills with their itemized charges, and payments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import strawberry

from adapters import records
from schema.enums import PaymentChannel, TenderType
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


@strawberry.type
class Payment:
    id: strawberry.ID = strawberry.field(description="The CIS's payment id.")
    amount: Money
    tender_type: TenderType
    channel: PaymentChannel
    posted_at: datetime
    external_reference: str | None = strawberry.field(
        description="The payer's confirmation number, when the payment came with one."
    )

    @classmethod
    def from_record(cls, payment: records.Payment, zone: ZoneInfo) -> Payment:
        return cls(
            id=strawberry.ID(payment.payment_id),
            amount=Money(payment.amount),
            tender_type=payment.tender_type,
            channel=payment.channel,
            posted_at=payment.posted_at.astimezone(zone),
            external_reference=payment.external_reference,
        )
