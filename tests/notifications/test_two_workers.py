"""Two `coop-gateway worker` processes on one PostgreSQL database: each piece of outage news
for the farm's accounts is recorded once and sent once, whichever worker reads the feed or
claims the sending."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import FARM_ACCOUNTS, FARM_EMAIL
from adapters.records import OutageReport, OutageReportKind, OutageStatus
from gateway.settings import Settings
from gateway.store.notifications import LogState, NotificationJob, NotificationLog
from tests.gateway.databases import POSTGRESQL_ONLY
from tests.gateway.mailbox import Mailbox
from tests.notifications.notifying import COOP, prefer, subjects_to
from tests.notifications.served_cis import CIS_NOW, ServedCis
from tests.payments.paying import running_workers
from tests.waiting import eventually

OUT = FARM_ACCOUNTS[:12]


pytestmark = POSTGRESQL_ONLY  # it is where several workers share the work


async def test_two_workers_send_each_outage_notice_once(
    http: httpx.AsyncClient,
    farmer: str,
    settings: Settings,
    cis: ServedCis,
    mail: Mailbox,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for kind in ("OUTAGE_REPORTED", "ETR_CHANGED", "POWER_RESTORED"):
        await prefer(http, farmer, kind)

    async def feed_noted() -> bool:
        async with sessions() as session:
            cursor = await session.scalar(
                select(NotificationJob.cursor).where(NotificationJob.family == "outages")
            )
        return cursor is not None

    async def change(move: str) -> None:
        async def apply(backend: SimulatedCis) -> None:
            if move == "open":
                reports = [
                    OutageReport(number, f"SL{number}-1", OutageReportKind.NO_POWER, CIS_NOW)
                    for number in OUT
                ]
                await backend.submit_outage_reports(reports)
                return
            for number in OUT:
                event = (await backend.get_outage_status([f"SL{number}-1"]))[f"SL{number}-1"]
                assert event.outage_event_id is not None
                await backend.advance_outage(
                    event.outage_event_id,
                    estimated_restoration=CIS_NOW + timedelta(hours=2) if move == "etr" else None,
                    status=OutageStatus.RESTORED if move == "restore" else None,
                )

        await cis.run(apply)

    async with running_workers(settings, 2):
        await eventually(feed_noted, "a worker reads the outage feed", within=20, every=0.1)
        for expected, move in ((12, "open"), (24, "etr"), (36, "restore")):
            await change(move)
            await mail.all_received(expected, within=20)

    subjects = subjects_to(await mail.all_received(36), FARM_EMAIL)
    assert Counter(subjects) == {
        f"{COOP}: {what} {number}": 1
        for number in OUT
        for what in (
            "power outage at account",
            "new restoration estimate for account",
            "power restored at account",
        )
    }
    async with sessions() as session:
        states = dict(
            list(
                await session.execute(
                    select(NotificationLog.state, func.count()).group_by(NotificationLog.state)
                )
            )
        )
    assert states == {LogState.SENT: 36}
