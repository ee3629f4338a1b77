"""The scheduled detection jobs: one worker at a time runs each, once per interval, and the
job of a worker that died is taken over once its lease runs out."""

from __future__ import annotations

from datetime import timedelta

from gateway.context import Services
from gateway.notifications.jobs import LEASE, claim_job, finish_job
from tests.notifications.notifying import BOTH_DATABASES
from tests.notifications.served_cis import CIS_NOW

pytestmark = BOTH_DATABASES
EVERY = timedelta(minutes=30)


async def test_a_job_runs_in_one_worker_once_per_interval(services: Services) -> None:
    now = CIS_NOW
    assert await claim_job(services, "billing", EVERY, now)
    assert not await claim_job(services, "billing", EVERY, now)  # another worker: no
    assert await claim_job(services, "usage", EVERY, now)  # another family: its own row
    await finish_job(services, "billing", now, ran=True)
    assert not await claim_job(services, "billing", EVERY, now + EVERY - timedelta(seconds=1))
    assert await claim_job(services, "billing", EVERY, now + EVERY)

    # The worker running it dies: the job waits for its lease, then runs elsewhere.
    later = now + EVERY
    assert not await claim_job(services, "billing", EVERY, later + LEASE - timedelta(seconds=1))
    assert await claim_job(services, "billing", EVERY, later + LEASE)
    await finish_job(services, "billing", later + LEASE, ran=False)  # it failed: due again
    assert await claim_job(services, "billing", EVERY, later + LEASE)
