"""Per-request loaders of the gateway's own rows kept per account: payments not yet applied
in the CIS, autopay enrollments, and the viewer's usage markers. A list of accounts costs
one query for each, however many accounts it has."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.store.payments import AutopayEnrollment
from gateway.store.usage_markers import UsageMarker
from resolvers.batching import RecordLoader, single
from resolvers.pending_payments import PendingAllocation, pending_payments_loader


class StoreLoaders:
    def __init__(self, db: async_sessionmaker[AsyncSession], cooperative_id: str) -> None:
        self.pending_payments: RecordLoader[str, tuple[PendingAllocation, ...]] = (
            pending_payments_loader(db, cooperative_id)
        )

        async def enrollments(numbers: Sequence[str]) -> dict[str, AutopayEnrollment]:
            async with db() as session:
                found = await session.scalars(
                    select(AutopayEnrollment).where(
                        AutopayEnrollment.cooperative_id == cooperative_id,
                        AutopayEnrollment.account_number.in_(numbers),
                    )
                )
                return {enrollment.account_number: enrollment for enrollment in found}

        self.autopay: RecordLoader[str, AutopayEnrollment | None] = RecordLoader(
            single(enrollments)
        )
        self._db, self._cooperative_id = db, cooperative_id
        self._usage_markers: dict[int, RecordLoader[str, tuple[UsageMarker, ...]]] = {}

    def usage_markers(self, user_id: int) -> RecordLoader[str, tuple[UsageMarker, ...]]:
        """The markers the login ``user_id`` made, by account, latest day first. Markers are
        their author's alone and these loaders know only the co-op (``RequestContext.store``
        makes them), so the login is given here; a request has one, so one such loader."""
        loader = self._usage_markers.get(user_id)
        if loader is None:
            loader = self._usage_markers[user_id] = RecordLoader(
                _markers_of(self._db, self._cooperative_id, user_id)
            )
        return loader


def _markers_of(
    db: async_sessionmaker[AsyncSession], cooperative_id: str, user_id: int
) -> Callable[[list[str]], Awaitable[list[tuple[UsageMarker, ...]]]]:
    async def markers(numbers: list[str]) -> list[tuple[UsageMarker, ...]]:
        async with db() as session:
            found = await session.scalars(
                select(UsageMarker)
                .where(
                    UsageMarker.cooperative_id == cooperative_id,
                    UsageMarker.user_id == user_id,
                    UsageMarker.account_number.in_(numbers),
                )
                .order_by(UsageMarker.first_day.desc(), UsageMarker.id.desc())
            )
            by_number: dict[str, list[UsageMarker]] = defaultdict(list)
            for marker in found:
                by_number[marker.account_number].append(marker)
        return [tuple(by_number[number]) for number in numbers]

    return markers
