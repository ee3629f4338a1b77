"""What a payment's member is told by e-mail once it ends: a receipt, a refund, or that the
co-op's staff are finishing it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from gateway.context import Services
from gateway.store.models import User
from gateway.store.payments import Payment, PaymentAllocation


async def send_receipt(services: Services, payment: Payment, posted_at: datetime) -> None:
    await _send(
        services,
        payment,
        "payment-receipt",
        {
            "accounts": _lines(payment.allocations),
            "paid_at": services.cooperative.local_time_text(posted_at),
        },
    )


async def send_refunded(services: Services, payment: Payment) -> None:
    await _send(services, payment, "payment-refunded", {"accounts": _lines(payment.allocations)})


async def send_needs_attention(services: Services, payment: Payment) -> None:
    applied = [allocation for allocation in payment.allocations if allocation.refusal is None]
    refused = [allocation for allocation in payment.allocations if allocation.refusal is not None]
    await _send(
        services,
        payment,
        "payment-needs-attention",
        {"applied": _lines(applied), "refused": _lines(refused)},
    )


def _lines(allocations: Iterable[PaymentAllocation]) -> str:
    return "\n".join(
        f"  account {allocation.account_number}: ${allocation.amount}" for allocation in allocations
    )


async def _send(
    services: Services, payment: Payment, template: str, details: dict[str, str]
) -> None:
    async with services.db() as session:
        email = await session.scalar(select(User.email).where(User.id == payment.user_id))
    if email is None:  # the login was deleted since
        return
    services.outbox.post(
        template,
        email,
        {
            "cooperative": services.cooperative.name,
            "confirmation": payment.reference,
            "amount": f"${payment.amount}",
            "fee": f"${payment.fee}",
            "total": f"${payment.total}",
            "method": payment.method_description,
            **details,
        },
    )
