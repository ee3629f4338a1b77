"""``coop-gateway worker``: the background jobs, on a schedule, for every co-op served.

Every round finishes payments (charges whose answer was lost, postings the CIS could not
take); every ``AUTOPAY_EVERY`` the autopay round drafts the bills that are due. Several
workers may run against one PostgreSQL database: each job claims its work with row locks
(``gateway.payments.worker``, ``gateway.payments.autopay``). Every round also runs the
notification jobs of every co-op (``gateway.notifications``), which share their work the
same way and send each piece of news once. Each co-op's work reads the clock afresh: a
lease taken with the time the round began could have run out before it was taken.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import datetime, timedelta

from gateway.context import Services
from gateway.cooperatives import Cooperatives
from gateway.notifications.rounds import notification_round
from gateway.notifications.sms import sms_sender
from gateway.payments.autopay import run_autopay
from gateway.payments.worker import finish_due_payments
from gateway.runtime import start_gateway
from gateway.settings import Settings
from gateway.store.models import utc_now

DEFAULT_INTERVAL_SECONDS = 5.0
AUTOPAY_EVERY = timedelta(minutes=10)  # bills change daily: no need to read them more often

logger = logging.getLogger(__name__)


async def run_worker(
    settings: Settings,
    cooperatives: Cooperatives,
    *,
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS,
    stop: asyncio.Event | None = None,
) -> None:
    """Runs the jobs every ``interval_seconds`` until ``stop`` is set (or SIGINT/SIGTERM)."""
    stop = stop or _stop_on_signals()
    async with start_gateway(settings, cooperatives) as gateway:
        logger.info("worker started: every %s s", interval_seconds)
        last_autopay: datetime | None = None
        while not stop.is_set():
            now = utc_now()
            autopay_due = last_autopay is None or now - last_autopay >= AUTOPAY_EVERY
            for services in gateway.services.values():
                if services.processor is not None:
                    await _round(services, utc_now(), autopay=autopay_due)
                await _notify(services)
            if autopay_due:
                last_autopay = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_seconds)
    logger.info("worker stopped")


async def _round(services: Services, now: datetime, *, autopay: bool) -> None:
    cooperative = services.cooperative.id
    try:
        tried = await finish_due_payments(services, now)
        if tried:
            logger.info("co-op %s: %d pending payments tried", cooperative, tried)
        if autopay:
            drafted = await run_autopay(services, services.cooperative.local_date(now))
            if drafted:
                logger.info("co-op %s: %d autopay drafts", cooperative, drafted)
    except Exception:  # the database, the CIS or a bug: the next round tries again
        logger.exception("co-op %s: the worker's round failed", cooperative)


async def _notify(services: Services) -> None:
    try:
        sent = await notification_round(services, sms_sender(services), utc_now)
        if sent:
            logger.info("co-op %s: %d notifications sent", services.cooperative.id, sent)
    except Exception:  # the database or a bug: the next round tries again
        logger.exception("co-op %s: the notification round failed", services.cooperative.id)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    return stop
