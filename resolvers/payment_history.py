"""An account's payment history: the CIS's payments, and the gateway's it has not applied.

A payment made here shows from the moment it is made, PENDING (or NEEDS_ATTENTION once the
CIS refused it), until the CIS applies it; then the CIS's own record, which carries our
external reference, takes its place. For a moment (longer if a process dies in it) both
exist: the CIS has applied the allocation and the gateway has not recorded that yet. The
CIS's record wins, matched on the external reference, so no payment shows twice.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from adapters import records
from adapters.records import DateRange
from gateway.context import RequestContext
from gateway.payments.requests import REFERENCE_PREFIX
from resolvers.pending_payments import PendingAllocation

HistoryRow = records.Payment | PendingAllocation


async def payment_history(
    context: RequestContext, period: DateRange, number: str
) -> tuple[HistoryRow, ...]:
    """The account's payments made or posted on a local date in ``period``, newest first."""
    posted, pending = await asyncio.gather(
        context.loaders.payments(period).load(number), context.store.pending_payments.load(number)
    )
    applied = {payment.external_reference for payment in posted}
    cooperative = context.cooperative
    waiting = [
        allocation
        for allocation in pending
        if allocation.external_reference not in applied
        and period.start <= cooperative.local_date(allocation.created_at) <= period.end
    ]
    return tuple(sorted([*waiting, *posted], key=made_at, reverse=True))


def made_at(row: HistoryRow) -> datetime:
    return row.posted_at if isinstance(row, records.Payment) else row.created_at


def row_id(row: HistoryRow) -> str:
    """A row's key for cursors: a payment made here keeps its key (its external reference)
    when the CIS's record takes the pending row's place, so a cursor on it still works."""
    reference = row.external_reference
    if isinstance(row, PendingAllocation) or (reference or "").startswith(REFERENCE_PREFIX):
        return f"ref:{reference}"
    return row.payment_id
