"""The detection jobs' schedule, shared by every worker through one row per co-op and family.

A scheduled family (billing, usage: CIS reads of every subscribed account) runs only in the
worker that claims its row: no other worker holds it (a lease) and its last run is at least
the family's interval old. So the CIS is read once per interval however many workers run;
were two ever to run it at once, the log's unique key would still record each piece of
news once. The outage family's row keeps the feed sequence it has read up to (``cursor``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.context import Services
from gateway.notifications.conflicts import insert_new, insert_or_update
from gateway.store.notifications import NotificationJob

LEASE = timedelta(minutes=5)  # a job runs well within this; a dead worker's lapses after it
_KEY = ("cooperative_id", "family")


async def claim_job(services: Services, family: str, every: timedelta, now: datetime) -> bool:
    """Whether this worker runs ``family``'s job now (it is due and nobody else runs it)."""
    job = NotificationJob
    cooperative_id = services.cooperative.id
    async with services.db() as session:  # a read first: most rounds find nothing due
        found = await session.get(job, (cooperative_id, family))
    if found is not None and not _due(found, every, now):
        return False
    async with services.db.begin() as session:
        await session.execute(
            insert_new(session, job, _KEY).values(cooperative_id=cooperative_id, family=family)
        )
        claimed = await session.scalar(
            update(job)
            .where(
                job.cooperative_id == cooperative_id,
                job.family == family,
                or_(job.leased_until.is_(None), job.leased_until <= now),
                or_(job.last_run_at.is_(None), job.last_run_at <= now - every),
            )
            .values(leased_until=now + LEASE)
            .returning(job.family)
        )
    return claimed is not None


def _due(job: NotificationJob, every: timedelta, now: datetime) -> bool:
    free = job.leased_until is None or job.leased_until <= now
    return free and (job.last_run_at is None or job.last_run_at <= now - every)


async def finish_job(services: Services, family: str, now: datetime, *, ran: bool) -> None:
    """Releases the job; ``ran`` False (it failed) leaves it due for the next round."""
    values: dict[str, object] = {"leased_until": None}
    if ran:
        values["last_run_at"] = now
    async with services.db.begin() as session:
        await session.execute(
            update(NotificationJob)
            .where(
                NotificationJob.cooperative_id == services.cooperative.id,
                NotificationJob.family == family,
            )
            .values(**values)
        )


async def read_cursor(services: Services, family: str) -> int | None:
    """The feed sequence the family has read up to; None before its first run."""
    async with services.db() as session:
        cursor: int | None = await session.scalar(
            select(NotificationJob.cursor).where(
                NotificationJob.cooperative_id == services.cooperative.id,
                NotificationJob.family == family,
            )
        )
    return cursor


async def move_cursor(session: AsyncSession, cooperative_id: str, family: str, to: int) -> None:
    """Sets the cursor in the caller's transaction: with the news read up to it, or not at all."""
    await session.execute(
        insert_or_update(session, NotificationJob, _KEY, {"cursor": to}).values(
            cooperative_id=cooperative_id, family=family, cursor=to
        )
    )
