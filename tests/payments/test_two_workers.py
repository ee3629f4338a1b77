"""Two worker processes on one PostgreSQL database share the pending payments without
taking the same one at once: each is applied in the CIS by one posting call."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.payments.sandbox_client import SandboxProcessor
from gateway.settings import Settings
from gateway.store.payments import Payment, PaymentState
from tests.gateway.databases import fresh_database_url
from tests.payments.paying import HOME, SHOP, card, cis_knobs, pay, running_workers
from tests.simulator_process import RunningSimulator

PENDING = 12
POSTING = "ProcessPaymentTransactions"


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """PostgreSQL only: SQLite has no row locks to share work with."""
    async with fresh_database_url("postgresql", tmp_path) as url:
        yield url


async def posting_calls(http: httpx.AsyncClient, cis: RunningSimulator) -> int:
    stats = (await http.get(f"{cis.control_url}/_sim/stats")).json()
    calls: int = stats["operations"].get(POSTING, {}).get("calls", 0)
    return calls


async def test_two_workers_post_each_pending_payment_once(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    cis: RunningSimulator,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await cis_knobs(http, cis, fault_rate=1.0, fault_operations=[POSTING])
    token = await card(processor)
    for index in range(PENDING):
        account = HOME if index % 2 else SHOP
        answer = await pay(
            http, member, [{"accountNumber": account, "amount": "1.00"}], one_time=token
        )
        assert answer["data"]["makePayment"]["status"] == "PENDING"
    await cis_knobs(http, cis, fault_rate=0.0, fault_operations=[], reset_stats=True)

    async with running_workers(settings, 2):
        for _ in range(300):  # the retries fall due 5 s after the failures
            if await count(sessions, PaymentState.POSTED) == PENDING:
                break
            await asyncio.sleep(0.1)
    assert await count(sessions, PaymentState.POSTED) == PENDING
    # One posting call per payment: no payment was taken by both workers.
    assert await posting_calls(http, cis) == PENDING


async def count(sessions: async_sessionmaker[AsyncSession], state: PaymentState) -> int:
    async with sessions() as session:
        found = await session.scalar(
            select(func.count()).select_from(Payment).where(Payment.state == state)
        )
    return found or 0
