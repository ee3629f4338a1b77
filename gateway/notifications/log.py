"""The notification log: each piece of news is a row, unique per member, account, kind and
occasion, written before anything is sent.

Detection jobs `record` news with INSERT … ON CONFLICT DO NOTHING, so a second worker, a
round run again or a restart finds the row there and adds nothing. Delivery `claim`s
pending rows: it leases them under a token of its own (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, and a conditional UPDATE on both databases), renews the lease while its sending
takes long (`Lease.held`), and marks them SENT; every mark is conditional on the token, so
a worker whose lease ran out and was taken over changes nothing. A worker that dies leaves
a lease that runs out, and the rows are sent by the next round that claims them (at least
once; twice only if the crash fell between the mail server's acceptance and the record of
it, ``deliveries``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.context import Services
from gateway.notifications.conflicts import insert_new
from gateway.notifications.kinds import NotificationKind
from gateway.payments.steps import retry_delay
from gateway.store.notifications import LogState, NotificationLog
from gateway.store.payments import NOTE_LENGTH

# Many messages through a slow mail server (30 s a try at worst) before a renewal is due.
LEASE = timedelta(minutes=10)
USERS_PER_CLAIM = 10
# With the payments' backoff (10 s, 20 s… then 15 minutes apart): about two hours of
# retries, then FAILED.
MAX_ATTEMPTS = 14
_KEY = ("user_id", "account_number", "kind", "occasion")

Key = tuple[int, str, NotificationKind, str]
Clock = Callable[[], datetime]  # read afresh for every lease: rounds can take long


@dataclass(frozen=True, slots=True)
class News:
    """A piece of news for one member about one account, before it is logged."""

    user_id: int
    account_number: str
    kind: NotificationKind
    occasion: str  # what makes it this piece of news: a bill, a due date, an outage…
    facts: Mapping[str, str] = field(repr=False)  # what the message says
    already_told: str | None = None  # an address the payment flow already e-mailed it to

    @property
    def key(self) -> Key:
        return (self.user_id, self.account_number, self.kind, self.occasion)


async def record(
    session: AsyncSession,
    cooperative_id: str,
    news: Sequence[News],
    now: datetime,
    state: LogState = LogState.PENDING,
) -> set[Key]:
    """Logs the news not logged yet, in the caller's transaction; the keys it added."""
    if not news:
        return set()
    rows = [
        {
            "cooperative_id": cooperative_id,
            "user_id": item.user_id,
            "account_number": item.account_number,
            "kind": item.kind,
            "occasion": item.occasion,
            "facts": dict(item.facts),
            "already_told": item.already_told,
            "state": state,
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "sent_at": None if state is LogState.PENDING else now,
        }
        for item in news
    ]
    added = await session.execute(
        insert_new(session, NotificationLog, _KEY).returning(
            NotificationLog.user_id,
            NotificationLog.account_number,
            NotificationLog.kind,
            NotificationLog.occasion,
        ),
        rows,
    )
    return {
        (user, account, NotificationKind(kind), occasion) for user, account, kind, occasion in added
    }


async def logged(services: Services, keys: Iterable[Key]) -> set[Key]:
    """Those of ``keys`` already in the log: a job skips them before reading the CIS."""
    wanted = set(keys)
    if not wanted:
        return set()
    async with services.db() as session:
        found = await session.execute(
            select(
                NotificationLog.user_id,
                NotificationLog.account_number,
                NotificationLog.kind,
                NotificationLog.occasion,
            ).where(
                NotificationLog.cooperative_id == services.cooperative.id,
                NotificationLog.kind.in_({kind for _, _, kind, _ in wanted}),
                NotificationLog.occasion.in_({occasion for _, _, _, occasion in wanted}),
            )
        )
    return wanted & {
        (user, account, NotificationKind(kind), occasion) for user, account, kind, occasion in found
    }


async def record_news(services: Services, news: Sequence[News], now: datetime) -> int:
    """Logs the news in a transaction of its own; how many pieces were new."""
    async with services.db.begin() as session:
        return len(await record(session, services.cooperative.id, news, now))


def _due(
    cooperative_id: str, kinds: Sequence[NotificationKind], now: datetime
) -> list[ColumnElement[bool]]:
    return [
        NotificationLog.cooperative_id == cooperative_id,
        NotificationLog.state == LogState.PENDING,
        NotificationLog.kind.in_(kinds),
        NotificationLog.next_attempt_at <= now,
        or_(NotificationLog.leased_until.is_(None), NotificationLog.leased_until <= now),
    ]


@dataclass(slots=True)
class Lease:
    """A claim's hold on its rows, under a token no other worker has."""

    services: Services
    clock: Clock
    token: str
    until: datetime
    ids: set[int]  # the rows held, as of the last renewal

    async def held(self, ids: Collection[int]) -> bool:
        """Whether this worker still holds the rows ``ids``, to send them now; renews the
        lease first once half of it is gone."""
        now = self.clock()
        if now >= self.until - LEASE / 2:
            await self._renew(now)
        return set(ids) <= self.ids

    async def _renew(self, now: datetime) -> None:
        async with self.services.db.begin() as session:
            self.ids = set(
                await session.scalars(
                    update(NotificationLog)
                    .where(
                        NotificationLog.lease_token == self.token,
                        NotificationLog.state == LogState.PENDING,
                    )
                    .values(leased_until=now + LEASE)
                    .returning(NotificationLog.id)
                )
            )
        self.until = now + LEASE


@dataclass(frozen=True, slots=True)
class Claimed:
    rows: list[NotificationLog]  # leased to this worker; empty if others hold them all
    last_user: int  # the next claim continues after this member
    lease: Lease


async def claim(
    services: Services, clock: Clock, kinds: Sequence[NotificationKind], after_user: int
) -> Claimed | None:
    """Leases the pending rows of ``kinds`` due now of the next few members (ids above
    ``after_user``), all of each member's rows together so a digest holds them all; None
    when no member is left."""
    now = clock()
    due = _due(services.cooperative.id, kinds, now)
    token = uuid.uuid4().hex
    async with services.db.begin() as session:
        users = list(
            await session.scalars(
                select(NotificationLog.user_id)
                .where(*due, NotificationLog.user_id > after_user)
                .distinct()
                .order_by(NotificationLog.user_id)
                .limit(USERS_PER_CLAIM)
            )
        )
        if not users:
            return None
        free = list(
            await session.scalars(
                select(NotificationLog.id)
                .where(*due, NotificationLog.user_id.in_(users))
                .with_for_update(skip_locked=True)
            )
        )
        if free:  # taken only if still due: on SQLite, without row locks, too
            await session.execute(
                update(NotificationLog)
                .where(NotificationLog.id.in_(free), *due)
                .values(leased_until=now + LEASE, lease_token=token)
            )
        rows = list(
            await session.scalars(
                select(NotificationLog)
                .where(NotificationLog.lease_token == token)
                .order_by(NotificationLog.user_id, NotificationLog.id)
            )
        )
    lease = Lease(services, clock, token, now + LEASE, {row.id for row in rows})
    return Claimed(rows, max(users), lease)


async def finish(
    services: Services,
    lease: Lease,
    state: LogState,
    ids: Collection[int],
    now: datetime,
    error: str | None = None,
) -> None:
    """Marks the rows SENT, SKIPPED or FAILED, if this worker still holds them."""
    if not ids:
        return
    async with services.db.begin() as session:
        await session.execute(
            update(NotificationLog)
            .where(NotificationLog.id.in_(ids), NotificationLog.lease_token == lease.token)
            .values(state=state, sent_at=now, leased_until=None, lease_token=None, last_error=error)
        )


async def retry_later(
    services: Services,
    lease: Lease,
    rows: Iterable[NotificationLog],
    error: str,
    now: datetime,
) -> None:
    """Puts the rows this worker still holds back for a later round, with backoff; FAILED
    after ``MAX_ATTEMPTS``. ``error`` names no address."""
    async with services.db.begin() as session:
        for row in rows:
            attempts = row.attempts + 1
            await session.execute(
                update(NotificationLog)
                .where(NotificationLog.id == row.id, NotificationLog.lease_token == lease.token)
                .values(
                    attempts=attempts,
                    state=LogState.FAILED if attempts >= MAX_ATTEMPTS else LogState.PENDING,
                    next_attempt_at=now + retry_delay(attempts),
                    leased_until=None,
                    lease_token=None,
                    last_error=error[:NOTE_LENGTH],
                )
            )
