"""``coop-gateway worker``: the background jobs, on a schedule, for every co-op served.

Today that is finishing payments (charges whose answer was lost, postings the CIS could not
take). Several workers may run against one PostgreSQL database: each job claims its work
with row locks (``gateway.payments.worker``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from gateway.cooperatives import Cooperatives
from gateway.payments.worker import finish_due_payments
from gateway.runtime import start_gateway
from gateway.settings import Settings
from gateway.store.models import utc_now

DEFAULT_INTERVAL_SECONDS = 5.0

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
        while not stop.is_set():
            for services in gateway.services.values():
                if services.processor is None:
                    continue
                try:
                    tried = await finish_due_payments(services, utc_now())
                except Exception:  # the database or a bug: try again next round
                    logger.exception(
                        "payments of co-op %s: the round failed", services.cooperative.id
                    )
                    continue
                if tried:
                    logger.info(
                        "co-op %s: %d pending payments tried", services.cooperative.id, tried
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_seconds)
    logger.info("worker stopped")


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    return stop
