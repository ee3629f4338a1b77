"""The Green Button XML answer, in the order its parts are known: what the account is, then
each month's interval blocks as they are read, then the bills' usage summaries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from gateway.context import RequestContext
from gateway.greenbutton.dst import local_time_parameters
from gateway.greenbutton.espi import FeedWriter, Flow
from gateway.greenbutton.period import Export
from gateway.greenbutton.usage_slices import AccountFacts, Slice
from resolvers.periods import local_midnight


async def atom_feed(
    context: RequestContext,
    export: Export,
    facts: AccountFacts,
    slices: AsyncIterator[Slice],
    self_url: str,
) -> AsyncIterator[bytes]:
    cooperative = context.cooperative
    writer = FeedWriter(
        cooperative_id=cooperative.id,
        account_number=export.account_number,
        title=(
            f"{cooperative.name}: usage of account {export.account_number},"
            f" {export.first} to {export.last}"
        ),
        updated=context.received_at.replace(microsecond=0),
        self_url=self_url,
        interval_length=export.interval_seconds,
    )
    flows = (Flow.DELIVERED, Flow.RECEIVED) if facts.net_metered else (Flow.DELIVERED,)
    zone = cooperative.time_zone
    yield writer.head()
    yield writer.usage_point(facts.title, facts.connected)
    yield writer.local_time_parameters(zone.key, local_time_parameters(zone, export.last.year))
    for flow in flows:
        yield writer.meter_reading(flow) + writer.reading_type(flow)
    async for part in slices:
        for flow in flows if part.rows else ():
            yield writer.interval_block(flow, part.start, part.end, part.rows)
    for bill in facts.bills:
        start = local_midnight(context, bill.period_start)
        end = local_midnight(context, bill.period_end + timedelta(days=1))
        yield writer.usage_summary(bill, start, end)
    yield writer.tail()
