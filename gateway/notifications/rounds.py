"""One notification round of the worker for one co-op: the detection jobs that are due, then
delivery of whatever may go out now."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.context import Services
from gateway.notifications.autopay import detect_autopay
from gateway.notifications.billing import detect_billing
from gateway.notifications.delivery import deliver
from gateway.notifications.jobs import claim_job, finish_job
from gateway.notifications.outages import FAMILY as OUTAGES
from gateway.notifications.outages import detect_outages
from gateway.notifications.payments import detect_payments
from gateway.notifications.sms import SmsSender
from gateway.notifications.usage import detect_usage

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    # How often its job runs, across all workers (a claimed schedule); None: every round in
    # every worker, as it is cheap, and the log's unique key keeps each piece of news once.
    every: timedelta | None
    detect: Callable[[Services, datetime], Awaitable[int]]


FAMILIES = (
    # Balances and bills change a few times a day; usage once a day.
    Family("billing", timedelta(minutes=30), detect_billing),
    Family("usage", timedelta(minutes=30), detect_usage),
    # A query of the gateway's tables; the CIS only for news not logged yet.
    Family("payments", None, detect_payments),
    Family("autopay", None, detect_autopay),
    # One feed call, which mostly answers "nothing changed": outage news is urgent.
    Family(OUTAGES, None, detect_outages),
)


async def notification_round(services: Services, sms: SmsSender, now: datetime) -> int:
    """Runs the co-op's due detection jobs (one failing leaves the others be), then sends;
    how many messages went."""
    cooperative = services.cooperative.id
    for family in FAMILIES:
        scheduled = family.every is not None
        if family.every is not None and not await claim_job(
            services, family.name, family.every, now
        ):
            continue
        ran = False
        try:
            found = await family.detect(services, now)
            ran = True
        except Exception:  # the CIS, say: the next round tries again
            logger.exception("co-op %s: %s news not read", cooperative, family.name)
        finally:
            if scheduled:
                await finish_job(services, family.name, now, ran=ran)
        if ran and found:
            logger.info("co-op %s: %d %s news", cooperative, found, family.name)
    return await deliver(services, sms, now)
