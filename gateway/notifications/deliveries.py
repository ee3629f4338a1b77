"""Each piece of news's messages, one row per address, written as soon as a message went
(or was refused for good): a later attempt of the news, after a failure halfway through a
member's messages, sends only to the addresses it has not reached."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select

from gateway.context import Services
from gateway.notifications.conflicts import insert_new
from gateway.notifications.recipients import Recipient
from gateway.store.notifications import DeliveryOutcome, NotificationDelivery

# Per log row: what became of the news at each address it was sent to.
Outcomes = dict[int, dict[Recipient, DeliveryOutcome]]

_KEY = ("log_id", "channel", "address")


async def outcomes_of(services: Services, log_ids: Collection[int]) -> Outcomes:
    """What the earlier attempts of these rows reached."""
    found: Outcomes = {log_id: {} for log_id in log_ids}
    async with services.db() as session:
        rows = await session.execute(
            select(
                NotificationDelivery.log_id,
                NotificationDelivery.channel,
                NotificationDelivery.address,
                NotificationDelivery.outcome,
            ).where(NotificationDelivery.log_id.in_(set(log_ids)))
        )
        for log_id, channel, address, outcome in rows:
            found[log_id][Recipient(channel, address)] = outcome
    return found


async def record_outcome(
    services: Services,
    log_ids: Sequence[int],
    recipient: Recipient,
    outcome: DeliveryOutcome,
    now: datetime,
) -> None:
    """Notes that the message with the news of ``log_ids`` went to (or was refused by) the
    recipient: at once, so nothing after it can make it go again."""
    values = [
        {
            "log_id": log_id,
            "channel": recipient.channel,
            "address": recipient.address,
            "outcome": outcome,
            "at": now,
        }
        for log_id in log_ids
    ]
    async with services.db.begin() as session:
        await session.execute(insert_new(session, NotificationDelivery, _KEY), values)
