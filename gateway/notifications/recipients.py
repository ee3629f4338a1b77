"""Who gets a piece of news, decided when it is sent: the addresses each member's
preferences choose now.

E-mail goes to the login's address and the member's verified e-mail contacts, SMS to their
verified SMS contacts (a contact for one account only hears of that account). An address
the payment flow already e-mailed the news to is left out, and so is news of an account no
longer linked to the member, or of a kind they turned off since.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from gateway.context import Services
from gateway.notifications.contacts import verified_contacts
from gateway.notifications.kinds import NotificationChannel
from gateway.notifications.members import linked_accounts, login_emails
from gateway.notifications.preferences import Choices, choices_of, digest_members
from gateway.store.notifications import ALL_ACCOUNTS, NotificationContact, NotificationLog


@dataclass(frozen=True, slots=True)
class Recipient:
    channel: NotificationChannel
    address: str


@dataclass(frozen=True, slots=True)
class Member:
    """What sending needs to know of one member."""

    email: str
    accounts: frozenset[str]  # linked now: news of an account unlinked since is not sent
    digest: bool
    contacts: list[NotificationContact]
    choices: Choices


async def members(services: Services, user_ids: Collection[int]) -> dict[int, Member]:
    """The members of ``user_ids`` whose login still exists."""
    async with services.db() as session:
        emails = await login_emails(session, user_ids)
        linked = await linked_accounts(session, user_ids)
        digest = await digest_members(session, user_ids)
        contacts = await verified_contacts(session, user_ids)
        choices = await choices_of(session, user_ids)
    return {
        user_id: Member(
            email,
            linked.get(user_id, frozenset()),
            user_id in digest,
            [contact for contact in contacts if contact.user_id == user_id],
            choices[user_id],
        )
        for user_id, email in emails.items()
    }


def recipients(member: Member, row: NotificationLog) -> list[Recipient]:
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
