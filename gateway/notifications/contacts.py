"""A member's contacts: e-mail addresses and phones (their carrier's e-mail-to-SMS gateway
address) that news may go to, for all their accounts or one.

A contact receives nothing until the member enters the six-digit code sent to it
(``codes``: 15 minutes, five tries, and daily limits per address and member that removing
and adding a contact again does not reset), so nobody can have news sent to someone else's
phone. The login's own e-mail address needs no contact: it was proven at sign-up. An
address verified once is verified for the member's other accounts too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway import durations
from gateway.auth.email_change import InvalidEmail, checked_email
from gateway.auth.sessions import Principal
from gateway.context import Services
from gateway.notifications.codes import CODE_LIFETIME, issue_code, matching_code, spend_code
from gateway.notifications.errors import NotificationRefused
from gateway.notifications.kinds import NotificationChannel
from gateway.notifications.sms import SmsSender
from gateway.store.notifications import ALL_ACCOUNTS, NotificationContact
from resolvers.access import own_account

MAX_CONTACTS = 10
SMS_ADDRESS_HINT = "an SMS contact is the phone's e-mail-to-SMS address, e.g. 5551234567@vtext.com"
WRONG_CODE = "the code is wrong or expired: add the contact again for a new one"


def checked_address(channel: NotificationChannel, text: str) -> str:
    """The address as kept; `NotificationRefused` when it is not one of the channel's."""
    try:
        address = checked_email(text)
    except InvalidEmail as error:
        message = SMS_ADDRESS_HINT if channel is NotificationChannel.SMS else str(error)
        raise NotificationRefused(message) from None
    number = address.partition("@")[0]
    if channel is NotificationChannel.SMS and not (number.isdigit() and 10 <= len(number) <= 15):
        raise NotificationRefused(SMS_ADDRESS_HINT)
    return address


async def add_contact(
    services: Services,
    sms: SmsSender,
    principal: Principal,
    channel: NotificationChannel,
    address: str,
    account_number: str | None,
    now: datetime,
) -> NotificationContact:
    """Adds a contact (or asks again for one not verified yet) and sends its address a
    code, unless the member verified the address before or a code just went to it.
    NOT_FOUND for an account not the member's; `NotificationRefused` for a wrong address,
    too many contacts, or a code asked again too soon or too often."""
    address = checked_address(channel, address)
    scope = ALL_ACCOUNTS if account_number is None else own_account(principal, account_number)
    same_address = (
        NotificationContact.user_id == principal.user_id,
        NotificationContact.channel == channel,
        NotificationContact.address == address,
    )
    async with services.db.begin() as session:
        contact = await session.scalar(
            select(NotificationContact).where(
                *same_address, NotificationContact.account_number == scope
            )
        )
        asked_again = contact is not None
        if contact is None:
            count = await session.scalar(
                select(func.count(NotificationContact.id)).where(
                    NotificationContact.user_id == principal.user_id
                )
            )
            if (count or 0) >= MAX_CONTACTS:
                raise NotificationRefused(f"a member has at most {MAX_CONTACTS} contacts")
            contact = NotificationContact(
                user_id=principal.user_id,
                cooperative_id=principal.cooperative_id,
                channel=channel,
                address=address,
                account_number=scope,
                created_at=now,
            )
            session.add(contact)
        if contact.verified_at is not None:
            return contact
        proven = await session.scalar(
            select(NotificationContact.id).where(
                *same_address, NotificationContact.verified_at.is_not(None)
            )
        )
        if proven is not None:
            contact.verified_at = now
            return contact
        today = services.cooperative.local_date(now)
        key = (principal.user_id, channel, address)
        code = await issue_code(session, principal.cooperative_id, key, now, today)
        if code is None and asked_again:
            raise NotificationRefused("a code was sent less than a minute ago: wait for it")
    if code is not None:  # none: the code on its way verifies this contact too
        _send_code(services, sms, contact, code)
    return contact


def _send_code(services: Services, sms: SmsSender, contact: NotificationContact, code: str) -> None:
    """In the background: the request answers without waiting for the mail server."""
    cooperative = services.cooperative.name
    minutes = durations.minutes(CODE_LIFETIME)
    if contact.channel is NotificationChannel.EMAIL:
        values = {"cooperative": cooperative, "code": code, "minutes": minutes}
        services.outbox.post("notification-code", contact.address, values)
        return
    text = f"{cooperative}: your notification code is {code} (valid {minutes} minutes)."
    services.outbox.post_sending(sms.send(contact.address, text), "notification code text")


async def verify_contact(
    services: Services, principal: Principal, contact_id: int, code: str, now: datetime
) -> NotificationContact:
    """Verifies the contact (and the member's other contacts of its address) with the code
    sent to it; `NotificationRefused` otherwise."""
    async with services.db() as session:
        contact = await _own(session, principal, contact_id)
    if contact.verified_at is not None:
        return contact
    key = (principal.user_id, contact.channel, contact.address)
    today = services.cooperative.local_date(now)
    live = await matching_code(services, key, code, now, today)
    async with services.db.begin() as session:
        if live is None or not await spend_code(session, key, live):
            refused = True
        else:
            refused = False
            # Every row of the address: it is the member's for their other accounts too.
            await session.execute(
                update(NotificationContact)
                .where(
                    NotificationContact.user_id == principal.user_id,
                    NotificationContact.channel == contact.channel,
                    NotificationContact.address == contact.address,
                )
                .values(verified_at=now)
            )
    if refused:
        raise NotificationRefused(WRONG_CODE)
    contact.verified_at = now  # as the UPDATE set it: the contact is detached
    return contact


async def remove_contact(services: Services, principal: Principal, contact_id: int) -> bool:
    """Removes one of the member's contacts; False if they have no such contact."""
    async with services.db.begin() as session:
        removed = await session.scalar(
            delete(NotificationContact)
            .where(
                NotificationContact.id == contact_id,
                NotificationContact.user_id == principal.user_id,
            )
            .returning(NotificationContact.id)
        )
    return removed is not None


async def _own(session: AsyncSession, principal: Principal, contact_id: int) -> NotificationContact:
    contact = await session.scalar(
        select(NotificationContact).where(
            NotificationContact.id == contact_id,
            NotificationContact.user_id == principal.user_id,
        )
    )
    if contact is None:
        raise NotificationRefused(f"no contact {contact_id}")
    return contact


async def contacts_of(
    db: async_sessionmaker[AsyncSession], principal: Principal
) -> list[NotificationContact]:
    async with db() as session:
        return list(
            await session.scalars(
                select(NotificationContact)
                .where(NotificationContact.user_id == principal.user_id)
                .order_by(NotificationContact.id)
            )
        )


async def verified_contacts(
    session: AsyncSession, user_ids: Iterable[int]
) -> list[NotificationContact]:
    return list(
        await session.scalars(
            select(NotificationContact)
            .where(
                NotificationContact.user_id.in_(set(user_ids)),
                NotificationContact.verified_at.is_not(None),
            )
            .order_by(NotificationContact.id)
        )
    )
