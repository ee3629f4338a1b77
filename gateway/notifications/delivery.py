"""Sending the logged news: claimed a few members at a time, to the addresses each member's
preferences choose at sending time, then marked SENT.

E-mail goes to the login's address and the member's verified e-mail contacts, SMS to their
verified SMS contacts (a contact for one account only hears of that account). An address
the payment flow already e-mailed the news to is left out. A member who chose the digest
gets one message per address for all their news of the round. News nobody wants any more
(the member turned it off since, or has no address for the channel) is marked SKIPPED.

If the mail server fails, the member's rows go back to the log for a later round; a
message that did go out before the failure is sent again then (at least once).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.context import Services
from gateway.mail import MailError
from gateway.notifications.contacts import verified_contacts
from gateway.notifications.digest import digest_letter, digest_text
from gateway.notifications.kinds import NotificationChannel, deliverable_kinds
from gateway.notifications.log import claim, finish, retry_later
from gateway.notifications.members import linked_accounts, login_emails
from gateway.notifications.preferences import Choices, choices_of, digest_members
from gateway.notifications.sms import SmsError, SmsSender
from gateway.notifications.wording import Wording, sms_text, wording
from gateway.store.notifications import (
    ALL_ACCOUNTS,
    LogState,
    NotificationContact,
    NotificationLog,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Recipient:
    channel: NotificationChannel
    address: str


@dataclass(frozen=True, slots=True)
class _Member:
    """What sending needs to know of one member."""

    email: str
    accounts: frozenset[str]  # linked now: news of an account unlinked since is not sent
    digest: bool
    contacts: list[NotificationContact]
    choices: Choices


async def deliver(services: Services, sms: SmsSender, now: datetime) -> int:
    """Sends what may go out at ``now`` (the co-op's local time decides which kinds); how
    many messages went."""
    kinds = deliverable_kinds(now.astimezone(services.cooperative.time_zone))
    sent, after = 0, 0
    while (claimed := await claim(services, now, kinds, after)) is not None:
        after = claimed.last_user
        if claimed.rows:
            sent += await _deliver(services, sms, claimed.rows, now)
    return sent


async def _deliver(
    services: Services, sms: SmsSender, rows: list[NotificationLog], now: datetime
) -> int:
    users = {row.user_id for row in rows}
    async with services.db() as session:
        emails = await login_emails(session, users)
        linked = await linked_accounts(session, users)
        digest = await digest_members(session, users)
        contacts = await verified_contacts(session, users)
        choices = await choices_of(session, users)
    sent = 0
    for user_id in sorted(users):
        if user_id not in emails:
            continue  # the login was deleted since, and its news with it
        member = _Member(
            emails[user_id],
            linked.get(user_id, frozenset()),
            user_id in digest,
            [contact for contact in contacts if contact.user_id == user_id],
            choices[user_id],
        )
        mine = [row for row in rows if row.user_id == user_id]
        sent += await _deliver_to(services, sms, member, mine, now)
    return sent


def _recipients(member: _Member, row: NotificationLog) -> list[Recipient]:
    """Where the member wants this news now."""
    choice = member.choices.choice(row.account_number, row.kind)
    if choice is None or row.account_number not in member.accounts:
        return []
    contacts = [
        contact
        for contact in member.contacts
        if contact.account_number in (ALL_ACCOUNTS, row.account_number)
    ]
    found = []
    if choice.email:
        addresses = [member.email]
        addresses += [c.address for c in contacts if c.channel is NotificationChannel.EMAIL]
        found += [
            Recipient(NotificationChannel.EMAIL, address)
            for address in addresses
            if address != row.already_told
        ]
    if choice.sms:
        found += [
            Recipient(NotificationChannel.SMS, contact.address)
            for contact in contacts
            if contact.channel is NotificationChannel.SMS
        ]
    return list(dict.fromkeys(found))


async def _deliver_to(
    services: Services,
    sms: SmsSender,
    member: _Member,
    rows: list[NotificationLog],
    now: datetime,
) -> int:
    plan: dict[Recipient, list[NotificationLog]] = {}
    skipped = []
    for row in rows:
        found = _recipients(member, row)
        if not found:
            skipped.append(row.id)
        for recipient in found:
            plan.setdefault(recipient, []).append(row)
    planned = [row for row in rows if row.id not in skipped]
    await finish(services, LogState.SKIPPED, skipped, now)
    messages = 0
    try:
        for recipient, news in plan.items():
            together = member.digest and len(news) > 1
            for batch in [news] if together else [[item] for item in news]:
                await _send(services, sms, recipient, batch)
                messages += 1
    except (MailError, SmsError) as error:
        logger.warning("news for user %d not sent, tried again later: %s", rows[0].user_id, error)
        await retry_later(services, planned, str(error), now)
        return 0
    await finish(services, LogState.SENT, [row.id for row in planned], now)
    return messages


async def _send(
    services: Services, sms: SmsSender, recipient: Recipient, news: Sequence[NotificationLog]
) -> None:
    cooperative = services.cooperative
    worded: list[Wording] = [wording(row.kind, row.facts) for row in news]
    if recipient.channel is NotificationChannel.SMS:
        text = (
            sms_text(cooperative.name, worded[0].text)
            if len(worded) == 1
            else digest_text(cooperative, worded)
        )
        await sms.send(recipient.address, text)
        return
    mailer = services.outbox.mailer
    if len(news) == 1:
        [row], [words] = news, worded
        values = {
            "cooperative": cooperative.name,
            "headline": words.headline,
            "text": words.text,
            "account": row.account_number,
            "address": row.facts["address"],
            "portal": cooperative.portal_url,
        }
        message = mailer.compose("notification", recipient.address, values)
    else:
        message = mailer.compose(
            "notification-digest", recipient.address, digest_letter(cooperative, worded)
        )
    await mailer.send(message)
