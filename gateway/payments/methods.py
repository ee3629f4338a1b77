"""A member's stored payment methods: the processor's token and how to recognise it.

The app tokenizes a card or bank account with the processor itself; the gateway stores the
token with what the processor says of it (kind, brand, last four digits, expiry) and the
member's nickname. Removing one keeps the row (payments made with it refer to it) but it
can no longer pay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.sessions import Principal
from gateway.context import Services
from gateway.payments.processor import MethodDetails, MethodKind, PaymentProcessor
from gateway.payments.requests import Method, PaymentRefused
from gateway.store.payments import PaymentMethod

MAX_NICKNAME_LENGTH = 60  # the column's length
MAX_METHODS = 20


def describe(details: MethodDetails | PaymentMethod) -> str:
    """How members read a method: "VISA ending in 4242", "bank account ending in 6789"."""
    if details.kind is MethodKind.BANK_ACCOUNT:
        return f"bank account ending in {details.last4}"
    return f"{details.brand or 'card'} ending in {details.last4}"


def processor_of(services: Services) -> PaymentProcessor:
    if services.processor is None:
        raise PaymentRefused(f"{services.cooperative.name} takes no payments here")
    return services.processor


async def stored_methods(services: Services, principal: Principal) -> Sequence[PaymentMethod]:
    """The member's methods that can pay, the default first."""
    async with services.db() as session:
        found = await session.scalars(
            select(PaymentMethod)
            .where(*own_methods(principal))
            .order_by(PaymentMethod.is_default.desc(), PaymentMethod.id)
        )
        return list(found)


async def add_method(
    services: Services,
    principal: Principal,
    token: str,
    nickname: str | None,
    make_default: bool,
    now: datetime,
) -> PaymentMethod:
    details = await _details(services, token, now)
    existing = await stored_methods(services, principal)
    if len(existing) >= MAX_METHODS:
        raise PaymentRefused(f"at most {MAX_METHODS} payment methods: remove one first")
    method = PaymentMethod(
        user_id=principal.user_id,
        cooperative_id=principal.cooperative_id,
        token=details.token,
        kind=details.kind,
        brand=details.brand,
        last4=details.last4,
        expiry_month=details.expiry_month,
        expiry_year=details.expiry_year,
        nickname=_nickname(nickname) if nickname is not None else describe(details),
        is_default=make_default or not existing,
        created_at=now,
    )
    try:
        async with services.db.begin() as session:
            if method.is_default:
                await _clear_default(session, principal)
            session.add(method)
    except IntegrityError:
        raise PaymentRefused("that payment method is already stored") from None
    return method


async def change_method(
    services: Services,
    principal: Principal,
    method_id: int,
    *,
    nickname: str | None = None,
    make_default: bool = False,
    remove: bool = False,
    now: datetime,
) -> PaymentMethod:
    """Renames, makes default or removes one of the member's methods."""
    async with services.db.begin() as session:
        method = await own_method(session, principal, method_id)
        if method is None:
            raise PaymentRefused("no such payment method")
        if nickname is not None:
            method.nickname = _nickname(nickname)
        if make_default:
            await _clear_default(session, principal)
            method.is_default = True
        if remove:
            method.removed_at, method.is_default, method.token = now, False, None
    return method


async def own_method(
    session: AsyncSession, principal: Principal, method_id: int
) -> PaymentMethod | None:
    """The member's stored method ``method_id`` (removed ones too); None when not theirs."""
    return await session.scalar(
        select(PaymentMethod).where(*own_methods(principal), PaymentMethod.id == method_id)
    )


async def paying_method(
    services: Services,
    principal: Principal,
    method_id: int | None,
    one_time_token: str | None,
    now: datetime,
) -> Method:
    """What a payment is made with: one stored method of the member, or a one-time token."""
    processor_of(services)  # a co-op without payments refuses before anything else
    if (method_id is None) == (one_time_token is None):
        raise PaymentRefused("give either paymentMethodId or oneTimeToken")
    if method_id is None:
        assert one_time_token is not None  # exactly one of the two was given
        details = await _details(services, one_time_token, now)
        async with services.db() as session:
            owner = await session.scalar(
                select(PaymentMethod.user_id).where(
                    PaymentMethod.cooperative_id == principal.cooperative_id,
                    PaymentMethod.token == details.token,
                )
            )
        if owner is not None and owner != principal.user_id:  # another member's stored card
            raise PaymentRefused("the payment processor does not know that token")
        return Method(details.token, details.kind, describe(details))
    async with services.db() as session:
        stored = await own_method(session, principal, method_id)
    if stored is None or stored.token is None:
        raise PaymentRefused("no such payment method (was it removed?)")
    _check_expiry(stored.expiry_month, stored.expiry_year, now)
    return Method(stored.token, stored.kind, describe(stored))


async def _details(services: Services, token: str, now: datetime) -> MethodDetails:
    details = await processor_of(services).describe(token.strip())
    if details is None:
        raise PaymentRefused("the payment processor does not know that token")
    _check_expiry(details.expiry_month, details.expiry_year, now)
    return details


def _check_expiry(month: int | None, year: int | None, now: datetime) -> None:
    if month is not None and year is not None and (year, month) < (now.year, now.month):
        raise PaymentRefused(f"that card expired in {month:02d}/{year}")


def _nickname(text: str) -> str:
    nickname = " ".join(text.split())
    if not 1 <= len(nickname) <= MAX_NICKNAME_LENGTH:
        raise PaymentRefused(f"a nickname needs 1 to {MAX_NICKNAME_LENGTH} characters")
    return nickname


def own_methods(principal: Principal) -> tuple[ColumnElement[bool], ...]:
    """The WHERE conditions of the principal's methods that can still pay."""
    return (
        PaymentMethod.user_id == principal.user_id,
        PaymentMethod.cooperative_id == principal.cooperative_id,
        PaymentMethod.removed_at.is_(None),
    )


async def _clear_default(session: AsyncSession, principal: Principal) -> None:
    await session.execute(
        update(PaymentMethod).where(*own_methods(principal)).values(is_default=False)
    )
