"""A message that does not go costs only itself: the news goes once to every address that
takes it; an address the mail server refuses for good is given up alone, and after any
other failure only the addresses not reached yet get the news at the next attempt. Logs
and the notification log name no address."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.demo import DEMO_EMAIL
from gateway.context import Services
from gateway.mail import Mailer, SmtpSettings
from gateway.mail_sink import SavingHandler
from gateway.notifications.delivery import deliver
from gateway.notifications.log import record_news
from gateway.notifications.sms import sms_sender
from gateway.outbox import Outbox
from gateway.store.notifications import (
    DeliveryOutcome,
    LogState,
    NotificationDelivery,
    NotificationLog,
)
from tests.gateway.mailbox import SENDER, Mailbox
from tests.notifications.notifying import (
    PHONE,
    add_sms_contact,
    at,
    bill_news,
    local,
    prefer,
    send,
    texts_to,
    user_id_of,
)
from tests.notifications.served_cis import CIS_NOW
from tests.payments.paying import HOME

NOON = local(CIS_NOW.date(), 12)


class RefusingHandler(SavingHandler):
    """The mail sink, answering the recipients in ``refusals`` with the reply given."""

    def __init__(self, folder: Path, refusals: dict[str, str]) -> None:
        super().__init__(folder, notify=lambda _: None)
        self.refusals = refusals

    async def handle_RCPT(
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, _: Any
    ) -> str:
        refusal = self.refusals.get(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"


@dataclass
class RefusingServer:
    mailbox: Mailbox
    refusals: dict[str, str] = field(default_factory=dict)


@pytest.fixture
async def refusing(tmp_path: Path) -> AsyncIterator[RefusingServer]:
    folder = tmp_path / "refusing"
    refusals: dict[str, str] = {}
    handler = RefusingHandler(folder, refusals)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="127.0.0.1"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield RefusingServer(Mailbox(folder, SmtpSettings(port=port, sender=SENDER)), refusals)


@pytest.fixture
async def news_by_mail_and_sms(
    http: httpx.AsyncClient, member: str, services: Services, mail: Mailbox
) -> None:
    """A bill the member wants by e-mail and by SMS to their verified phone."""
    await add_sms_contact(http, member, mail)
    await prefer(http, member, "BILL_READY", sms=True)
    user = await user_id_of(services, DEMO_EMAIL)
    await record_news(services, [bill_news(user, HOME, "B1")], NOON)


@pytest.mark.usefixtures("news_by_mail_and_sms")
async def test_an_address_refused_for_good_is_given_up_alone(
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    refusing: RefusingServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    user = await user_id_of(services, DEMO_EMAIL)
    refusing.refusals[PHONE] = "550 5.1.1 no such phone"
    via = replace(services, outbox=Outbox(Mailer(refusing.mailbox.smtp)))
    assert await send(via, NOON) == 1  # the e-mail
    assert await send(via, NOON + timedelta(hours=1)) == 0  # nothing is tried again

    [message] = await refusing.mailbox.all_received(1)
    assert message["To"] == DEMO_EMAIL
    async with sessions() as session:
        assert list(await session.scalars(select(NotificationLog.state))) == [LogState.SENT]
        outcomes = await session.execute(
            select(NotificationDelivery.address, NotificationDelivery.outcome).order_by(
                NotificationDelivery.id
            )
        )
        assert list(outcomes) == [
            (DEMO_EMAIL, DeliveryOutcome.SENT),
            (PHONE, DeliveryOutcome.REFUSED),
        ]
    assert _gateway_log(caplog) == [
        f"news for user {user}: an address refused it for good: SmsError: MailError:"
        f" 127.0.0.1:{refusing.mailbox.smtp.port}: SMTPRecipientsRefused:"
        " [SMTPRecipientRefused(550, '5.1.1 no such phone', '<address>')]"
    ]


def _gateway_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the gateway logged at WARNING or above, or about the news."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("gateway.notifications")
    ]


class BrokenProvider:
    """An SMS provider plug-in with a bug: it fails with something else than `SmsError`."""

    async def send(self, to: str, text: str) -> None:
        raise RuntimeError(f"no route to {to}")


@pytest.mark.usefixtures("news_by_mail_and_sms")
async def test_after_a_failure_only_the_addresses_not_reached_get_the_news(
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    mail: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await deliver(services, BrokenProvider(), at(NOON)) == 1  # the e-mail went
    async with sessions() as session:
        [row] = await session.scalars(select(NotificationLog))
    assert (row.state, row.attempts) == (LogState.PENDING, 1)
    assert row.last_error == "RuntimeError: no route to <address>"
    assert _gateway_log(caplog) == [
        f"news for user {row.user_id} stopped, the rest tried again later: {row.last_error}"
    ]

    assert await deliver(services, sms_sender(services), at(row.next_attempt_at)) == 1  # the text
    assert await send(services, row.next_attempt_at) == 0
    messages = await mail.all_received(3)  # and the code
    assert len(texts_to(messages, DEMO_EMAIL)) == 1
    assert len(texts_to(messages, PHONE)) == 2
