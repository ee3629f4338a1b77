"""Per-request loaders of the gateway's own rows kept per account: payments not yet applied
in the CIS, and autopay enrollments. A list of accounts costs one query for each, however
many accounts it has."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.store.payments import AutopayEnrollment
from resolvers.batching import RecordLoader
from resolvers.pending_payments import PendingAllocation, pending_payments_loader


class StoreLoaders:
    def __init__(self, db: async_sessionmaker[AsyncSession], cooperative_id: str) -> None:
        self.pending_payments: RecordLoader[str, tuple[PendingAllocation, ...]] = (
            pending_payments_loader(db, cooperative_id)
        )

        async def enrollments(numbers: list[str]) -> list[AutopayEnrollment | None]:
            async with db() as session:
                found = await session.scalars(
                    select(AutopayEnrollment).where(
                        AutopayEnrollment.cooperative_id == cooperative_id,
                        AutopayEnrollment.account_number.in_(numbers),
                    )
                )
                by_number = {enrollment.account_number: enrollment for enrollment in found}
            return [by_number.get(number) for number in numbers]

        self.autopay: RecordLoader[str, AutopayEnrollment | None] = RecordLoader(enrollments)
