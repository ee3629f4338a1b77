"""Two worker processes on one PostgreSQL database share the pending payments without
taking the same one at once: each is applied in the CIS by one posting call."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.payments.sandbox_client import SandboxProcessor
from gateway.settings import Settings
from gateway.store.payments import Payment, PaymentState
from tests.gateway.databases import POSTGRESQL_ONLY
from tests.payments.paying import HOME, SHOP, card, pay, running_workers
from tests.simulator_process import RunningSimulator, SimulatorControl
from tests.waiting import eventually

PENDING = 12
POSTING = "ProcessPaymentTransactions"


pytestmark = POSTGRESQL_ONLY  # SQLite has no row locks to share work with


async def test_two_workers_post_each_pending_payment_once(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    cis: RunningSimulator,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    control = SimulatorControl(cis)
    control.set(fault_rate=1.0, fault_operations=[POSTING])
    token = await card(processor)
    for index in range(PENDING):
        account = HOME if index % 2 else SHOP
        answer = await pay(
            http, member, [{"accountNumber": account, "amount": "1.00"}], one_time=token
        )
        assert answer["data"]["makePayment"]["status"] == "PENDING"
    control.set(fault_rate=0.0, fault_operations=[], reset_stats=True)

    async def all_posted() -> bool:
        return await count(sessions, PaymentState.POSTED) == PENDING

    async with running_workers(settings, 2):
        # The retries fall due 5 s after the failures.
        await eventually(all_posted, "the workers post every payment", within=30, every=0.1)
    assert await count(sessions, PaymentState.POSTED) == PENDING
    # One posting call per payment: no payment was taken by both workers.
    assert control.calls(POSTING) == PENDING


async def count(sessions: async_sessionmaker[AsyncSession], state: PaymentState) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(func.count()).select_from(Payment).where(Payment.state == state)
        )
    return found or 0
