"""What each member wants to be told: per account (or all of them) and kind, on which
channels, with the kind's parameters; and whether their news comes as one digest.

A row for one account wins over the member's row for all accounts ("*"); no row at all
means nothing is sent. The detection jobs ask `subscriptions` which accounts to read, and
delivery asks again (`choices_of`) when the news goes out, so a change is heard at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.auth.sessions import Principal
from gateway.context import Services
from gateway.notifications.conflicts import insert_or_update
from gateway.notifications.errors import NotificationRefused
from gateway.notifications.kinds import DEFAULT_DAYS_BEFORE, MAX_DAYS_BEFORE, NotificationKind
from gateway.notifications.log import logged
from gateway.store.models import UserAccount
from gateway.store.notifications import (
    ALL_ACCOUNTS,
    KilowattHours,
    NotificationPreference,
    NotificationSettings,
)
from gateway.store.payments import Cents
from resolvers.access import own_account


@dataclass(frozen=True, slots=True)
class Choice:
    """A member's wish for one account and kind: at least one channel is on."""

    email: bool
    sms: bool
    days_before: int
    threshold_kwh: Decimal | None
    threshold_cost: Decimal | None


class Choices:
    """One member's preference rows, answering for any account and kind."""

    def __init__(self, rows: Iterable[NotificationPreference]) -> None:
        self._rows = {(row.account_number, row.kind): row for row in rows}

    def choice(self, account_number: str, kind: NotificationKind) -> Choice | None:
        row = self._rows.get((account_number, kind)) or self._rows.get((ALL_ACCOUNTS, kind))
        if row is None or not (row.email or row.sms):
            return None
        return Choice(
            email=row.email,
            sms=row.sms,
            days_before=DEFAULT_DAYS_BEFORE if row.days_before is None else row.days_before,
            threshold_kwh=row.threshold_kwh,
            threshold_cost=row.threshold_cost,
        )


@dataclass(frozen=True, slots=True)
class Subscription:
    user_id: int
    account_number: str
    kind: NotificationKind
    choice: Choice


ACCOUNTS_AT_A_TIME = 500  # accounts a detection job reads from the CIS at once


async def by_account_batches(
    services: Services,
    kinds: Sequence[NotificationKind],
    detect: Callable[[list[str], list[Subscription]], Awaitable[int]],
) -> int:
    """Runs ``detect`` over the co-op's subscriptions to ``kinds``, a batch of accounts at a
    time with their subscriptions; the news it logged, summed."""
    by_account: dict[str, list[Subscription]] = defaultdict(list)
    for subscription in await subscriptions(services.db, services.cooperative.id, kinds):
        by_account[subscription.account_number].append(subscription)
    numbers = sorted(by_account)
    recorded = 0
    for start in range(0, len(numbers), ACCOUNTS_AT_A_TIME):
        batch = numbers[start : start + ACCOUNTS_AT_A_TIME]
        recorded += await detect(batch, [s for number in batch for s in by_account[number]])
    return recorded


async def subscriptions(
    db: async_sessionmaker[AsyncSession],
    cooperative_id: str,
    kinds: Sequence[NotificationKind],
    accounts: Collection[str] | None = None,
) -> list[Subscription]:
    """Every member's wish for ``kinds`` on each of their linked accounts (of ``accounts``
    only, when given: a job with a few accounts at hand reads no more)."""
    chosen = select(NotificationPreference).where(
        NotificationPreference.cooperative_id == cooperative_id,
        NotificationPreference.kind.in_(kinds),
    )
    linked = select(UserAccount.user_id, UserAccount.account_number).where(
        UserAccount.user_id.in_(chosen.with_only_columns(NotificationPreference.user_id))
    )
    if accounts is not None:
        numbers = UserAccount.account_number.in_(set(accounts))
        linked = linked.where(numbers)
        chosen = chosen.where(
            NotificationPreference.user_id.in_(select(UserAccount.user_id).where(numbers))
        )
    async with db() as session:
        by_user = _by_user(await session.scalars(chosen))
        links = list(
            await session.execute(linked.order_by(UserAccount.user_id, UserAccount.account_number))
        )
    found = []
    for user_id, account_number in links:
        for kind in kinds:
            choice = by_user[user_id].choice(account_number, kind)
            if choice is not None:
                found.append(Subscription(user_id, account_number, kind, choice))
    return found


# What a piece of news is about, short of its member: account, kind and occasion.
Occasion = tuple[str, NotificationKind, str]
T = TypeVar("T")


async def not_told_yet(
    services: Services,
    kinds: Sequence[NotificationKind],
    items: Iterable[T],
    occasion: Callable[[T], Occasion],
) -> list[tuple[T, int]]:
    """Each item paired with the members subscribed to its kind of news on its account who
    are not in the log for it yet: a job reads the CIS for those only."""
    about = [(item, occasion(item)) for item in items]
    wanted: dict[tuple[str, NotificationKind], list[int]] = defaultdict(list)
    accounts = {account for _, (account, _, _) in about}
    for subscription in await subscriptions(services.db, services.cooperative.id, kinds, accounts):
        wanted[(subscription.account_number, subscription.kind)].append(subscription.user_id)
    candidates = [
        (item, (user_id, account, kind, what))
        for item, (account, kind, what) in about
        for user_id in wanted.get((account, kind), ())
    ]
    known = await logged(services, (key for _, key in candidates))
    return [(item, key[0]) for item, key in candidates if key not in known]


async def choices_of(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, Choices]:
    """The members' preferences (an empty `Choices` for a member with none)."""
    ids = set(user_ids)
    rows = await session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id.in_(ids))
    )
    by_user = _by_user(rows)
    return {user_id: by_user.get(user_id, Choices(())) for user_id in ids}


def _by_user(rows: Iterable[NotificationPreference]) -> dict[int, Choices]:
    grouped: dict[int, list[NotificationPreference]] = {}
    for row in rows:
        grouped.setdefault(row.user_id, []).append(row)
    return {user_id: Choices(found) for user_id, found in grouped.items()}


@dataclass(frozen=True, slots=True)
class PreferenceChange:
    kind: NotificationKind
    account_number: str | None  # None: all the member's accounts
    email: bool
    sms: bool
    days_before: int | None = None
    threshold_kwh: Decimal | None = None
    threshold_cost: Decimal | None = None


def _checked(principal: Principal, change: PreferenceChange) -> str:
    """The row's account ("*" for all); NOT_FOUND for an account not the member's,
    `NotificationRefused` for anything else wrong."""
    number = change.account_number
    scope = ALL_ACCOUNTS if number is None else own_account(principal, number)
    if change.days_before is not None:
        if change.kind is not NotificationKind.DUE_SOON:
            raise NotificationRefused("daysBefore is for DUE_SOON only")
        if not 0 <= change.days_before <= MAX_DAYS_BEFORE:
            raise NotificationRefused(f"daysBefore must be between 0 and {MAX_DAYS_BEFORE}")
    thresholds = (change.threshold_kwh, change.threshold_cost)
    if change.kind is NotificationKind.USAGE_ALERT:
        if (change.email or change.sms) and thresholds == (None, None):
            raise NotificationRefused("a usage alert needs thresholdKwh or thresholdCost")
    elif thresholds != (None, None):
        raise NotificationRefused("thresholds are for USAGE_ALERT only")
    for value, column, name in (
        (change.threshold_kwh, KilowattHours, "thresholdKwh"),
        (change.threshold_cost, Cents, "thresholdCost"),
    ):
        if value is not None and not (value.is_finite() and 0 < value < 10**9):
            raise NotificationRefused(f"{name} must be above zero")
        if value is not None and not column.fits(value):
            raise NotificationRefused(f"{name} has too many decimals")
    return scope


async def set_preference(
    db: async_sessionmaker[AsyncSession],
    principal: Principal,
    change: PreferenceChange,
    now: datetime,
) -> NotificationPreference:
    """Sets the member's wish for one kind on one account (or all); NOT_FOUND for another
    member's account, `NotificationRefused` for parameters that do not fit the kind."""
    account_number = _checked(principal, change)
    values = {
        "email": change.email,
        "sms": change.sms,
        "days_before": change.days_before,
        "threshold_kwh": change.threshold_kwh,
        "threshold_cost": change.threshold_cost,
        "updated_at": now,
    }
    keys = ("user_id", "account_number", "kind")
    async with db.begin() as session:
        statement = insert_or_update(session, NotificationPreference, keys, values).values(
            user_id=principal.user_id,
            cooperative_id=principal.cooperative_id,
            account_number=account_number,
            kind=change.kind,
            **values,
        )
        await session.execute(statement)
        stored = await session.scalar(
            select(NotificationPreference)
            .where(
                NotificationPreference.user_id == principal.user_id,
                NotificationPreference.account_number == account_number,
                NotificationPreference.kind == change.kind,
            )
            .execution_options(populate_existing=True)
        )
    if stored is None:
        raise RuntimeError("the preference just written cannot be read")
    return stored


async def stored_preferences(
    db: async_sessionmaker[AsyncSession], principal: Principal
) -> list[NotificationPreference]:
    async with db() as session:
        return list(
            await session.scalars(
                select(NotificationPreference)
                .where(NotificationPreference.user_id == principal.user_id)
                .order_by(NotificationPreference.kind, NotificationPreference.account_number)
            )
        )


async def digest_members(session: AsyncSession, user_ids: Iterable[int]) -> set[int]:
    """Those of the members who chose a digest."""
    found = await session.scalars(
        select(NotificationSettings.user_id).where(
            NotificationSettings.user_id.in_(set(user_ids)), NotificationSettings.digest
        )
    )
    return set(found)


async def digest_chosen(db: async_sessionmaker[AsyncSession], principal: Principal) -> bool:
    async with db() as session:
        return principal.user_id in await digest_members(session, [principal.user_id])


async def set_digest(
    db: async_sessionmaker[AsyncSession], principal: Principal, digest: bool
) -> bool:
    async with db.begin() as session:
        await session.execute(
            insert_or_update(
                session, NotificationSettings, ("user_id",), {"digest": digest}
            ).values(
                user_id=principal.user_id, cooperative_id=principal.cooperative_id, digest=digest
            )
        )
    return digest
