"""The detection jobs' schedule: one worker at a time runs each, once per interval; the job of
a worker that died is taken over once its lease runs out, and a worker that lost its lease
so can no longer release the job or mark it run."""

from __future__ import annotations

from datetime import timedelta

from gateway.context import Services
from gateway.notifications.jobs import claim_job, finish_job
from tests.notifications.notifying import BOTH_DATABASES
from tests.notifications.served_cis import CIS_NOW

pytestmark = BOTH_DATABASES
EVERY = timedelta(minutes=30)
LEASE = timedelta(minutes=5)


async def test_a_job_runs_in_one_worker_once_per_interval(services: Services) -> None:
    now = CIS_NOW
    billing = await claim_job(services, "billing", EVERY, LEASE, now)
    assert billing is not None
    assert await claim_job(services, "billing", EVERY, LEASE, now) is None  # another worker
    assert await claim_job(services, "usage", EVERY, LEASE, now) is not None  # its own row
    await finish_job(services, "billing", billing, now, ran=True)
    almost = now + EVERY - timedelta(seconds=1)
    assert await claim_job(services, "billing", EVERY, LEASE, almost) is None
    assert await claim_job(services, "billing", EVERY, LEASE, now + EVERY) is not None

    # The worker running it dies: the job waits for its lease, then runs elsewhere.
    later = now + EVERY
    assert await claim_job(services, "billing", EVERY, LEASE, later + LEASE / 2) is None
    taken = await claim_job(services, "billing", EVERY, LEASE, later + LEASE)
    assert taken is not None
    await finish_job(services, "billing", taken, later + LEASE, ran=False)  # it failed: due again
    slow = await claim_job(services, "billing", EVERY, LEASE, later + LEASE)
    assert slow is not None

    # That worker is slow: its lease runs out and another one takes the job over...
    latest = later + 2 * LEASE
    taken = await claim_job(services, "billing", EVERY, LEASE, latest)
    assert taken is not None
    # ...and the slow one, finishing late, neither releases it nor marks it run.
    await finish_job(services, "billing", slow, latest, ran=False)
    assert await claim_job(services, "billing", EVERY, LEASE, latest) is None
    await finish_job(services, "billing", slow, latest, ran=True)
    await finish_job(services, "billing", taken, latest, ran=False)
    assert await claim_job(services, "billing", EVERY, LEASE, latest) is not None
