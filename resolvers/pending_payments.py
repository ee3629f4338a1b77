"""Payments made through the gateway that the CIS has not applied yet, by account.

The CIS's balance does not show them until they are posted; members see them beside it, so
a pending payment is neither forgotten nor paid twice. Once an allocation is applied it
leaves this list, and the CIS's payment history shows it (with our external reference). An
allocation the CIS refused stays here, ``refused``, until the co-op's staff settle it: the
member paid it and need not pay again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.payments.processor import MethodKind
from gateway.store.payments import Payment, PaymentAllocation, PaymentState
from resolvers.batching import RecordLoader


@dataclass(frozen=True, slots=True)
class PendingAllocation:
    confirmation_number: str
    account_number: str
    amount: Decimal
    created_at: datetime
    external_reference: str
    method_kind: MethodKind
    channel: str  # the CIS's PaymentChannel
    refused: bool  # by the CIS: the co-op's staff apply or refund it


def pending_payments_loader(
    db: async_sessionmaker[AsyncSession], cooperative_id: str
) -> RecordLoader[str, tuple[PendingAllocation, ...]]:
    """One query for every account a request asks about."""

    async def batch_load(numbers: list[str]) -> list[tuple[PendingAllocation, ...]]:
        async with db() as session:
            rows = await session.execute(
                select(
                    Payment.reference,
                    PaymentAllocation.account_number,
                    PaymentAllocation.amount,
                    Payment.created_at,
                    PaymentAllocation.external_reference,
                    Payment.method_kind,
                    Payment.channel,
                    PaymentAllocation.refusal.is_not(None).label("refused"),
                )
                .join(PaymentAllocation.payment)
                .where(
                    Payment.cooperative_id == cooperative_id,
                    PaymentAllocation.account_number.in_(numbers),
                    PaymentAllocation.posted_at.is_(None),
                    or_(
                        Payment.state.in_([PaymentState.RECORDED, PaymentState.CHARGED]),
                        and_(
                            Payment.state == PaymentState.NEEDS_ATTENTION,
                            PaymentAllocation.refusal.is_not(None),
                        ),
                    ),
                )
                .order_by(Payment.created_at.desc(), Payment.id.desc())
            )
        by_account: dict[str, list[PendingAllocation]] = defaultdict(list)
        for row in rows:
            by_account[row.account_number].append(
                PendingAllocation(
                    confirmation_number=row.reference,
                    account_number=row.account_number,
                    amount=row.amount,
                    created_at=row.created_at,
                    external_reference=row.external_reference,
                    method_kind=row.method_kind,
                    channel=row.channel,
                    refused=row.refused,
                )
            )
        return [tuple(by_account[number]) for number in numbers]

    return RecordLoader(batch_load)


def pending_total(allocations: tuple[PendingAllocation, ...]) -> Decimal:
    """What the allocations will take off the account's balance once applied."""
    return sum((allocation.amount for allocation in allocations), Decimal("0.00"))


async def pending_totals(
    db: async_sessionmaker[AsyncSession], cooperative_id: str, numbers: Sequence[str]
) -> dict[str, Decimal]:
    """Per account of ``numbers``, what is paid here and not applied yet: one query."""
    in_flight = await pending_payments_loader(db, cooperative_id).load_many(numbers)
    return {number: pending_total(found) for number, found in zip(numbers, in_flight, strict=True)}
