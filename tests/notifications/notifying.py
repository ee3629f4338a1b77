"""What the notification tests share: the GraphQL they send, the co-op's local instants, and
the mail the SMTP server received."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.context import Services
from gateway.notifications.delivery import deliver
from gateway.notifications.kinds import NotificationKind
from gateway.notifications.log import Clock, News
from gateway.notifications.sms import sms_sender
from gateway.store.models import User
from tests.gateway.databases import BACKENDS
from tests.gateway.live_gateway import graphql
from tests.gateway.mailbox import Mailbox, text_of
from tests.notifications.served_cis import CHICAGO
from tests.schema.harness import demo_cooperative

# For a test module whose database work differs between the two (upserts, leases, cursors).
BOTH_DATABASES = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
PHONE = "3085550142@vtext.com"  # the demo member's phone, by its carrier's SMS gateway
COOP = demo_cooperative().name  # what the co-op's messages begin with

PREFER = """mutation($kind: NotificationKind!, $account: String, $email: Boolean!,
  $sms: Boolean!, $days: Int, $kwh: Decimal, $cost: Money) {
  setNotificationPreference(kind: $kind, accountNumber: $account, email: $email, sms: $sms,
    daysBefore: $days, thresholdKWh: $kwh, thresholdCost: $cost) {
    kind accountNumber email sms daysBefore thresholdKWh thresholdCost
  }
}"""
ADD_CONTACT = """mutation($channel: NotificationChannel!, $address: String!, $account: String) {
  addNotificationContact(channel: $channel, address: $address, accountNumber: $account) {
    id channel address accountNumber verified
  }
}"""
VERIFY_CONTACT = """mutation($id: Int!, $code: String!) {
  verifyNotificationContact(id: $id, code: $code) { id verified }
}"""
SET_DIGEST = "mutation($on: Boolean!) { setNotificationDigest(enabled: $on) }"


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant of the co-op's local day."""
    return datetime.combine(day, time(hour, minute, second), CHICAGO)


def next_noon(after: datetime) -> datetime:
    """The co-op's first local noon after ``after``: daytime, whenever the test runs."""
    day = after.astimezone(CHICAGO).date()
    noon = local(day, 12)
    return noon if noon > after else local(day + timedelta(days=1), 12)


async def prefer(
    http: httpx.AsyncClient,
    token: str,
    kind: str,
    *,
    account: str | None = None,
    email: bool = True,
    sms: bool = False,
    **parameters: object,
) -> dict[str, Any]:
    variables = {"kind": kind, "account": account, "email": email, "sms": sms, **parameters}
    answer = await graphql(http, PREFER, variables, token=token)
    assert "errors" not in answer, answer
    chosen: dict[str, Any] = answer["data"]["setNotificationPreference"]
    return chosen


async def add_sms_contact(
    http: httpx.AsyncClient, token: str, mail: Mailbox, account: str | None = None
) -> int:
    """Adds the phone as an SMS contact and verifies it with the code it was texted."""
    variables = {"channel": "SMS", "address": PHONE, "account": account}
    added = await graphql(http, ADD_CONTACT, variables, token=token)
    contact = added["data"]["addNotificationContact"]
    assert contact["verified"] is False
    code = await mail.code(PHONE, r"code is (\d{6})")
    verified = await graphql(http, VERIFY_CONTACT, {"id": contact["id"], "code": code}, token=token)
    assert verified["data"]["verifyNotificationContact"]["verified"] is True
    contact_id: int = contact["id"]
    return contact_id


def at(now: datetime) -> Clock:
    """A clock stopped at ``now``."""
    return lambda: now


async def user_id_of(services: Services, email: str) -> int:
    async with services.db() as session:
        found = await session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found


def bill_news(user_id: int, number: str, bill_id: str) -> News:
    """A bill ready, as the billing job logs it (for tests of sending only)."""
    facts = {"account": number, "address": "1418 S 9th Ave", "amount": "$10.00"}
    return News(user_id, number, NotificationKind.BILL_READY, bill_id, facts | {"due_date": "soon"})


async def send(services: Services, now: datetime) -> int:
    """The worker's delivery at ``now``."""
    return await deliver(services, sms_sender(services), at(now))


def texts_to(messages: list[EmailMessage], to: str) -> list[str]:
    """The plain texts of the messages to ``to`` (a text message's is its whole body)."""
    texts = (text_of(message) for message in messages if message["To"] == to)
    return [text.replace("\r\n", "\n").strip() for text in texts]


def subjects_to(messages: list[EmailMessage], to: str) -> list[str]:
    return [str(message["Subject"]).strip() for message in messages if message["To"] == to]
