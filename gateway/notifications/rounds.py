"""One notification round of the worker for one co-op: the detection jobs that are due, then
delivery of whatever may go out now.

Every family's job is claimed (``jobs.claim_job``), so it runs in one worker at a time, at
most once per its interval across all workers, with the clock read when it is claimed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.context import Services
from gateway.notifications.autopay import detect_autopay
from gateway.notifications.billing import detect_billing
from gateway.notifications.delivery import deliver
from gateway.notifications.jobs import ClaimedJob, claim_job, finish_job
from gateway.notifications.log import Clock
from gateway.notifications.outages import FAMILY as OUTAGES
from gateway.notifications.outages import detect_outages
from gateway.notifications.payments import detect_payments
from gateway.notifications.sms import SmsSender
from gateway.notifications.usage import detect_usage

logger = logging.getLogger(__name__)

Detect = Callable[[Services, datetime, ClaimedJob], Awaitable[int]]


def _claim_unused(detect: Callable[[Services, datetime], Awaitable[int]]) -> Detect:
    """A job that needs nothing of its claim (only the outage job reads on from its cursor)."""
    return lambda services, started, _: detect(services, started)


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    every: timedelta  # how often its job runs, across all workers
    lease: timedelta  # a run takes well within this; a dead worker's lapses after it
    detect: Detect


FAMILIES = (
    # Balances and bills change a few times a day; usage once a day.
    Family("billing", timedelta(minutes=30), timedelta(minutes=15), _claim_unused(detect_billing)),
    Family("usage", timedelta(minutes=30), timedelta(minutes=15), _claim_unused(detect_usage)),
    # The gateway's own tables; the CIS only for news not logged yet.
    Family("payments", timedelta(minutes=1), timedelta(minutes=5), _claim_unused(detect_payments)),
    # As often as the worker's autopay round drafts.
    Family("autopay", timedelta(minutes=10), timedelta(minutes=5), _claim_unused(detect_autopay)),
    # One feed call, which mostly answers "nothing changed": outage news is urgent, and a
    # worker that dies while reading the feed holds it up for a minute at most.
    Family(OUTAGES, timedelta(seconds=1), timedelta(minutes=1), detect_outages),
)


async def notification_round(services: Services, sms: SmsSender, clock: Clock) -> int:
    """Runs the co-op's due detection jobs (one failing leaves the others be), then sends;
    how many messages went."""
    cooperative = services.cooperative.id
    for family in FAMILIES:
        started = clock()
        claimed = await claim_job(services, family.name, family.every, family.lease, started)
        if claimed is None:
            continue
        found: int | None = None
        try:
            found = await family.detect(services, started, claimed)
        except Exception:  # the CIS, say: the next round tries again
            logger.exception("co-op %s: %s news not read", cooperative, family.name)
        finally:
            await finish_job(services, family.name, claimed, started, ran=found is not None)
        if found:
            logger.info("co-op %s: %d %s news", cooperative, found, family.name)
    return await deliver(services, sms, clock)
