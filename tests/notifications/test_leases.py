"""Leases on the news being sent: a worker whose sending takes long keeps its lease, renewed
as it goes, so no other worker sends the same news meanwhile; and a worker whose lease ran
out and was taken over marks nothing of what the other one now sends."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from email.message import EmailMessage

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.demo import DEMO_EMAIL
from gateway.context import Services
from gateway.mail import Mailer
from gateway.notifications.delivery import deliver
from gateway.notifications.kinds import NotificationKind
from gateway.notifications.log import LEASE, claim, record_news, retry_later
from gateway.notifications.sms import sms_sender
from gateway.outbox import Outbox
from gateway.store.notifications import LogState, NotificationLog
from tests.gateway.mailbox import Mailbox
from tests.notifications.notifying import (
    at,
    bill_news,
    local,
    prefer,
    send,
    user_id_of,
)
from tests.notifications.served_cis import CIS_NOW
from tests.payments.paying import HOME

NOON = local(CIS_NOW.date(), 12)
A_MESSAGE = timedelta(minutes=6)  # a mail server this slow: the lease is ten minutes


class TestClock:
    __test__ = False  # not a test class, for pytest

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class SlowMailer(Mailer):
    """The gateway's mailer, each message taking ``A_MESSAGE`` of the test's clock; after
    each, another worker tries to claim the news."""

    def __init__(self, mailer: Mailer, clock: TestClock, services: Services) -> None:
        super().__init__(mailer.settings)
        self.clock = clock
        self.services = services
        self.taken_by_others = 0

    async def send(self, message: EmailMessage) -> None:
        await super().send(message)
        self.clock.now += A_MESSAGE
        other = await claim(self.services, self.clock, [NotificationKind.BILL_READY], 0)
        self.taken_by_others += len(other.rows) if other is not None else 0


async def test_a_worker_sending_slowly_keeps_its_lease(
    http: httpx.AsyncClient, member: str, services: Services, mail: Mailbox
) -> None:
    await prefer(http, member, "BILL_READY")
    user = await user_id_of(services, DEMO_EMAIL)
    bills = [bill_news(user, HOME, f"B{number}") for number in range(3)]
    assert await record_news(services, bills, NOON) == 3

    clock = TestClock(NOON)
    slow = SlowMailer(services.outbox.mailer, clock, services)
    sending = replace(services, outbox=Outbox(slow))
    assert await deliver(sending, sms_sender(sending), clock) == 3  # 18 minutes of sending
    assert slow.taken_by_others == 0
    assert len(await mail.all_received(3)) == 3


async def test_a_worker_whose_lease_was_taken_over_marks_nothing(
    http: httpx.AsyncClient,
    member: str,
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    mail: Mailbox,
) -> None:
    await prefer(http, member, "BILL_READY")
    user = await user_id_of(services, DEMO_EMAIL)
    await record_news(services, [bill_news(user, HOME, "B1")], NOON)
    stalled = await claim(services, at(NOON), [NotificationKind.BILL_READY], 0)
    assert stalled is not None
    assert len(stalled.rows) == 1

    # Its lease runs out: another worker sends the news...
    assert await send(services, NOON + LEASE) == 1
    # ...and the first, waking up to a failure, cannot put it back to be sent again.
    await retry_later(services, stalled.lease, stalled.rows, "MailError: timed out", NOON + LEASE)
    async with sessions() as session:
        states = list(await session.scalars(select(NotificationLog.state)))
    assert states == [LogState.SENT]
    assert await send(services, NOON + LEASE + timedelta(hours=1)) == 0
    assert len(await mail.all_received(1)) == 1
