"""Verification codes cost what they cost whatever the member does with their contacts: one
live code per address, new ones at most once a minute and a few a day, and a few tries a
day, counted per address and member so that removing a contact and adding it again buys
nothing. Codes are kept as argon2id hashes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.demo import DEMO_ACCOUNTS, DEMO_EMAIL
from gateway.auth.sessions import Principal
from gateway.context import Services
from gateway.notifications import codes
from gateway.notifications.contacts import add_contact, remove_contact, verify_contact
from gateway.notifications.errors import NotificationRefused
from gateway.notifications.kinds import NotificationChannel
from gateway.store.models import Role
from gateway.store.notifications import NotificationCode
from tests.notifications.notifying import PHONE, user_id_of
from tests.notifications.served_cis import CIS_NOW

SMS = NotificationChannel.SMS
MINUTE = timedelta(minutes=1)


class Phone:
    """An SMS provider's phone: the texts it was sent."""

    def __init__(self) -> None:
        self.codes: list[str] = []

    async def send(self, to: str, text: str) -> None:
        found = re.search(r"code is (\d{6})", text)
        assert found is not None, text
        self.codes.append(found.group(1))


@pytest.fixture
async def principal(services: Services, demo_users: None) -> Principal:
    user_id = await user_id_of(services, DEMO_EMAIL)
    return Principal(
        user_id, services.cooperative.id, DEMO_EMAIL, Role.MEMBER, frozenset(DEMO_ACCOUNTS), None
    )


async def test_codes_and_tries_are_counted_across_removal_and_limited_per_day(
    services: Services, principal: Principal, sessions: async_sessionmaker[AsyncSession]
) -> None:
    phone, now = Phone(), CIS_NOW

    async def add(at_minute: int, address: str = PHONE) -> int:
        contact = await add_contact(
            services, phone, principal, SMS, address, None, now + at_minute * MINUTE
        )
        await services.outbox.drain()
        return contact.id

    async def verify(contact_id: int, code: str, at_minute: int) -> None:
        await verify_contact(services, principal, contact_id, code, now + at_minute * MINUTE)

    first = await add(0)
    for _ in range(codes.MAX_TRIES + 1):
        with pytest.raises(NotificationRefused, match="wrong or expired"):
            await verify(first, "000000", 0)
    # Removing the contact and adding it again sends no new code, nor gives new tries.
    assert await remove_contact(services, principal, first)
    again = await add(0)
    assert len(phone.codes) == 1
    with pytest.raises(NotificationRefused, match="wrong or expired"):
        await verify(again, phone.codes[0], 0)

    with pytest.raises(NotificationRefused, match="less than a minute ago"):
        await add(0)
    await add(1)  # a new code, with tries of its own, but not beyond the day's
    for _ in range(codes.TRIES_PER_ADDRESS - codes.MAX_TRIES):
        with pytest.raises(NotificationRefused, match="wrong or expired"):
            await verify(again, "000000", 1)
    await add(2)
    with pytest.raises(NotificationRefused, match="too many wrong codes today"):
        await verify(again, phone.codes[-1], 2)
    for minute in range(3, codes.CODES_PER_ADDRESS):
        await add(minute)
    with pytest.raises(NotificationRefused, match="no more codes today"):
        await add(codes.CODES_PER_ADDRESS)
    assert len(phone.codes) == codes.CODES_PER_ADDRESS

    # Another address of the member: its own codes, within the member's for the day.
    other = "3085550199@vtext.com"
    for minute in range(codes.CODES_PER_MEMBER - codes.CODES_PER_ADDRESS):
        await add(minute, other)
    with pytest.raises(NotificationRefused, match="no more codes today"):
        await add(10, "3085550100@vtext.com")

    async with sessions() as session:
        hashes = set(await session.scalars(select(NotificationCode.code_hash)))
    assert any(stored is not None for stored in hashes)  # the live codes' hashes, never the codes
    assert all(stored is None or stored.startswith("$argon2id$") for stored in hashes)

    # The next day: a code, and the right one verifies the contact.
    tomorrow = 24 * 60
    await add(tomorrow)
    await verify(again, phone.codes[-1], tomorrow)
