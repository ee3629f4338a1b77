"""The codes that prove a contact's address is the member's: six digits sent to it, one live
code per member and address (shared by the address's contacts for several accounts).

What codes cost is counted per member and address in a row that outlives the contacts
(``NotificationCode``), per local day, so removing a contact and adding it again buys
nothing:

- a new code for an address at most once a minute and ``CODES_PER_ADDRESS`` times a day,
  and ``CODES_PER_MEMBER`` a day across all the member's addresses: phones are not flooded;
- ``MAX_TRIES`` per code, ``TRIES_PER_ADDRESS`` a day per address and ``TRIES_PER_MEMBER``
  a day in all: a member (or whoever holds their session) guesses at most that many of a
  million codes a day.

A member's counts are changed under a lock of their login row (PostgreSQL), so parallel
requests cannot each spend the last try. Codes are kept as argon2id hashes, as pass phrases
are (``gateway.auth.passwords``): a copy of the database does not give a live code away.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from gateway.auth.passwords import hash_password, verify_password
from gateway.context import Services
from gateway.notifications.conflicts import insert_new
from gateway.notifications.errors import NotificationRefused
from gateway.notifications.kinds import NotificationChannel
from gateway.store.models import User
from gateway.store.notifications import NotificationCode

CODE_LIFETIME = timedelta(minutes=15)
CODE_EVERY = timedelta(minutes=1)
CODES_PER_ADDRESS = 5
CODES_PER_MEMBER = 10
MAX_TRIES = 5
TRIES_PER_ADDRESS = 10
TRIES_PER_MEMBER = 20
_DIGITS = 6
_KEY = ("user_id", "channel", "address")

NO_MORE_CODES = "no more codes today for this member or address: try again tomorrow"
NO_MORE_TRIES = "too many wrong codes today: try again tomorrow"

Address = tuple[int, NotificationChannel, str]  # the member's, by channel


async def issue_code(
    session: AsyncSession, cooperative_id: str, address: Address, now: datetime, today: date
) -> str | None:
    """A new code for the address, counted, in the caller's transaction; None while the code
    sent less than ``CODE_EVERY`` ago is on its way. `NotificationRefused` when today's codes
    are spent."""
    row = await _counted(session, cooperative_id, address, today)
    if row.code_hash is not None and row.sent_at is not None and now - row.sent_at < CODE_EVERY:
        return None
    sent_today = await _members_today(session, address[0], today, NotificationCode.codes_today)
    if row.codes_today >= CODES_PER_ADDRESS or sent_today >= CODES_PER_MEMBER:
        raise NotificationRefused(NO_MORE_CODES)
    code = f"{secrets.randbelow(10**_DIGITS):0{_DIGITS}d}"
    row.code_hash = await hash_password(code)
    row.sent_at, row.expires_at, row.tries = now, now + CODE_LIFETIME, 0
    row.codes_today += 1
    return code


async def matching_code(
    services: Services, address: Address, code: str, now: datetime, today: date
) -> str | None:
    """Counts a try of ``code`` (committed, whatever the answer) and gives the live code's
    hash if it is the one, for `spend_code`; None if it is not, or no code is live.
    `NotificationRefused` when no try is left today."""
    async with services.db.begin() as session:
        row = await _counted(session, services.cooperative.id, address, today)
        stored, expires = row.code_hash, row.expires_at
        if stored is None or expires is None or expires <= now or row.tries >= MAX_TRIES:
            return None
        tried = await _members_today(session, address[0], today, NotificationCode.tries_today)
        if row.tries_today >= TRIES_PER_ADDRESS or tried >= TRIES_PER_MEMBER:
            raise NotificationRefused(NO_MORE_TRIES)
        row.tries += 1
        row.tries_today += 1
    return stored if await verify_password(stored, code.strip()) else None


async def spend_code(session: AsyncSession, address: Address, code_hash: str) -> bool:
    """Retires the code ``code_hash``, in the caller's transaction; False if a parallel
    request spent it (or a new code replaced it) first."""
    user_id, channel, text = address
    spent = await session.scalar(
        update(NotificationCode)
        .where(
            NotificationCode.user_id == user_id,
            NotificationCode.channel == channel,
            NotificationCode.address == text,
            NotificationCode.code_hash == code_hash,
        )
        .values(code_hash=None, expires_at=None)
        .returning(NotificationCode.user_id)
    )
    return spent is not None


async def _counted(
    session: AsyncSession, cooperative_id: str, address: Address, today: date
) -> NotificationCode:
    """The address's row, locked with its member's, its counts of ``today``."""
    user_id, channel, text = address
    await session.execute(select(User.id).where(User.id == user_id).with_for_update())
    key = {"user_id": user_id, "channel": channel, "address": text}
    await session.execute(
        insert_new(session, NotificationCode, _KEY).values(
            **key, cooperative_id=cooperative_id, day=today, tries=0, codes_today=0, tries_today=0
        )
    )
    row = await session.get(NotificationCode, (user_id, channel, text), populate_existing=True)
    if row is None:
        raise RuntimeError("the code row just written cannot be read")
    if row.day != today:
        row.day, row.codes_today, row.tries_today = today, 0, 0
    return row


async def _members_today(
    session: AsyncSession, user_id: int, today: date, count: InstrumentedAttribute[int]
) -> int:
    """The member's ``count`` today, over all their addresses."""
    total = await session.scalar(
        select(func.coalesce(func.sum(count), 0)).where(
            NotificationCode.user_id == user_id, NotificationCode.day == today
        )
    )
    return int(total or 0)
