"""A member's contacts: e-mail addresses and phones (their carrier's e-mail-to-SMS gateway
address) that news may go to, for all their accounts or one.

A contact receives nothing until the member enters the six-digit code sent to it (15
minutes, five tries), so nobody can have news sent to someone else's phone. The login's
own e-mail address needs no contact: it was proven at sign-up. An address verified once is
verified for the member's other accounts too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.email_change import InvalidEmail, checked_email
from gateway.auth.sessions import Principal
from gateway.context import Services
from gateway.notifications.errors import NotificationRefused
from gateway.notifications.kinds import NotificationChannel
from gateway.notifications.sms import SmsSender
from gateway.store.notifications import ALL_ACCOUNTS, NotificationContact

MAX_CONTACTS = 10
CODE_LIFETIME = timedelta(minutes=15)
CODE_EVERY = timedelta(minutes=1)  # a new code at most this often, so phones are not flooded
MAX_CODE_ATTEMPTS = 5
_CODE_DIGITS = 6
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


def _code_hash(address: str, code: str) -> str:
    return hashlib.sha256(f"{address}\n{code}".encode()).hexdigest()


def _scope(principal: Principal, account_number: str | None) -> str:
    if account_number is None:
        return ALL_ACCOUNTS
    if account_number not in principal.account_numbers:
        raise NotificationRefused(f"no account {account_number}")
    return account_number


async def add_contact(
    services: Services,
    sms: SmsSender,
    principal: Principal,
    channel: NotificationChannel,
    address: str,
    account_number: str | None,
    now: datetime,
) -> NotificationContact:
    """Adds a contact (or asks again for one not verified yet) and sends it a code, unless
    the member verified the address before."""
    address = checked_address(channel, address)
    scope = _scope(principal, account_number)
    same_address = (
        NotificationContact.user_id == principal.user_id,
        NotificationContact.channel == channel,
        NotificationContact.address == address,
    )
    code = f"{secrets.randbelow(10**_CODE_DIGITS):0{_CODE_DIGITS}d}"
    async with services.db.begin() as session:
        contact = await session.scalar(
            select(NotificationContact).where(
                *same_address, NotificationContact.account_number == scope
            )
        )
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
                code_attempts=0,
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
        expires = contact.code_expires_at
        if expires is not None and expires - CODE_LIFETIME > now - CODE_EVERY:
            raise NotificationRefused("a code was sent less than a minute ago: wait for it")
        contact.code_hash = _code_hash(address, code)
        contact.code_expires_at = now + CODE_LIFETIME
        contact.code_attempts = 0
    _send_code(services, sms, contact, code)
    return contact


def _send_code(services: Services, sms: SmsSender, contact: NotificationContact, code: str) -> None:
    """In the background: the request answers without waiting for the mail server."""
    cooperative = services.cooperative.name
    minutes = str(int(CODE_LIFETIME.total_seconds() // 60))
    if contact.channel is NotificationChannel.EMAIL:
        values = {"cooperative": cooperative, "code": code, "minutes": minutes}
        services.outbox.post("notification-code", contact.address, values)
        return

    async def text() -> None:
        message = f"{cooperative}: your notification code is {code} (valid {minutes} minutes)."
        await sms.send(contact.address, message)

    services.outbox.post_after(text())


async def verify_contact(
    services: Services, principal: Principal, contact_id: int, code: str, now: datetime
) -> NotificationContact:
    """Verifies the contact with the code sent to it; `NotificationRefused` otherwise."""
    async with services.db.begin() as session:
        contact = await _own(session, principal, contact_id)
        if contact.verified_at is not None:
            return contact
        tries = await session.scalar(
            update(NotificationContact)
            .where(
                NotificationContact.id == contact.id,
                NotificationContact.code_attempts < MAX_CODE_ATTEMPTS,
                NotificationContact.code_expires_at > now,
            )
            .values(code_attempts=NotificationContact.code_attempts + 1)
            .returning(NotificationContact.id)
        )
        given = _code_hash(contact.address, code.strip())
        if tries is None or not hmac.compare_digest(given, contact.code_hash or ""):
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
                .values(verified_at=now, code_hash=None, code_expires_at=None)
            )
    if refused:  # after the commit: the wrong try stays counted
        raise NotificationRefused(WRONG_CODE)
    async with services.db() as session:
        return await _own(session, principal, contact_id)


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
        select(NotificationContact)
        .where(
            NotificationContact.id == contact_id,
            NotificationContact.user_id == principal.user_id,
        )
        .execution_options(populate_existing=True)
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
