"""The detection jobs' schedule, shared by every worker through one row per co-op and family.

A family's job runs only in the worker that claims its row: no other worker holds it (a
lease, under the claiming worker's token) and its last run is at least the family's
interval old. So the CIS is read once per interval however many workers run; were two ever
to run it at once (a lease that ran out), the log's unique key would still record each
piece of news once, and only the lease's holder marks the run. The outage family's row
keeps the feed sequence it has read up to (``cursor``), which only ever moves forward.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.context import Services
from gateway.notifications.conflicts import insert_new, insert_or_update
from gateway.store.notifications import NotificationJob

_KEY = ("cooperative_id", "family")


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    token: str  # the lease's, for `finish_job`
    cursor: int | None  # the feed sequence read up to, as of the claim


async def claim_job(
    services: Services, family: str, every: timedelta, lease: timedelta, now: datetime
) -> ClaimedJob | None:
    """The claim when this worker runs ``family``'s job now (it is due and nobody else
    runs it); None otherwise."""
    job = NotificationJob
    cooperative_id = services.cooperative.id
    async with services.db() as session:  # a read first: most rounds find nothing due
        found = await session.get(job, (cooperative_id, family))
    if found is not None and not _due(found, every, now):
        return None
    token = uuid.uuid4().hex
    async with services.db.begin() as session:
        if found is None:  # the family's first run (or a concurrent worker's)
            await session.execute(
                insert_new(session, job, _KEY).values(cooperative_id=cooperative_id, family=family)
            )
        claimed = await session.execute(
            update(job)
            .where(
                job.cooperative_id == cooperative_id,
                job.family == family,
                or_(job.leased_until.is_(None), job.leased_until <= now),
                or_(job.last_run_at.is_(None), job.last_run_at <= now - every),
            )
            .values(leased_until=now + lease, lease_token=token)
            .returning(job.cursor)
        )
        row = claimed.first()
    return None if row is None else ClaimedJob(token, row.cursor)


def _due(job: NotificationJob, every: timedelta, now: datetime) -> bool:
    free = job.leased_until is None or job.leased_until <= now
    return free and (job.last_run_at is None or job.last_run_at <= now - every)


async def finish_job(
    services: Services, family: str, claimed: ClaimedJob, started: datetime, *, ran: bool
) -> None:
    """Releases the job if this worker still holds it; ``ran`` (the run that began at
    ``started``) False, it failed: due again at the next round."""
    values: dict[str, object] = {"leased_until": None, "lease_token": None}
    if ran:
        values["last_run_at"] = started
    async with services.db.begin() as session:
        await session.execute(
            update(NotificationJob)
            .where(
                NotificationJob.cooperative_id == services.cooperative.id,
                NotificationJob.family == family,
                NotificationJob.lease_token == claimed.token,
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
    """Moves the cursor forward to ``to``, in the caller's transaction: with the news read up
    to it, or not at all. A worker that read less of the feed than another (a slow one)
    leaves the other's cursor be."""
    job = NotificationJob
    behind = or_(job.cursor.is_(None), job.cursor < to)
    await session.execute(
        insert_or_update(session, job, _KEY, {"cursor": to}, where=behind).values(
            cooperative_id=cooperative_id, family=family, cursor=to
        )
    )
