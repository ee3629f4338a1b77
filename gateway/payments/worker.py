"""The worker's payment job: finish every payment a request could not.

A payment is due when its ``next_attempt_at`` has passed and no process holds its lease:
one whose request died (crash, restart) or whose charge or posting failed and waits for its
retry. Workers claim due payments with ``SELECT … FOR UPDATE SKIP LOCKED`` and a lease, so
several workers (and gateways) share the work without taking the same payment at once; and
even if two did, every step is safe to repeat (``gateway.payments.steps``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from gateway.context import Services
from gateway.payments.steps import LEASE, advance
from gateway.store.models import utc_now
from gateway.store.payments import UNFINISHED, Payment

BATCH = 20  # payments claimed at a time


async def claim_due(services: Services, now: datetime, limit: int = BATCH) -> list[int]:
    """Leases up to ``limit`` due payments of the co-op to this process; their ids."""
    async with services.db.begin() as session:
        due = list(
            await session.scalars(
                select(Payment.id)
                .where(
                    Payment.cooperative_id == services.cooperative.id,
                    Payment.state.in_(UNFINISHED),
                    Payment.next_attempt_at <= now,
                    or_(Payment.leased_until.is_(None), Payment.leased_until <= now),
                )
                .order_by(Payment.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if due:
            # From the clock, not the round's ``now``: a long round must not hand out a lease
            # that has already run out (``now`` may also lie ahead, to take later work).
            leased_until = max(now, utc_now()) + LEASE
            await session.execute(
                update(Payment).where(Payment.id.in_(due)).values(leased_until=leased_until)
            )
    return due


async def finish_due_payments(services: Services, now: datetime) -> int:
    """Takes every payment due now through its steps; how many were tried."""
    tried = 0
    while due := await claim_due(services, now):
        for payment_id in due:
            # The processor is asked first: the request that recorded it may have charged.
            await advance(services, payment_id, recovering=True)
        tried += len(due)
    return tried
