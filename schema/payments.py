"""Paying: stored payment methods, a quote, and payments of one or several accounts.

A payment is one charge for the total, applied to each account in the CIS. Its answer says
whether it is POSTED (applied), PENDING (charged or being confirmed: the gateway finishes it)
or DECLINED (nothing charged, with the processor's reason). Repeating a request with the
same ``idempotencyKey`` answers the first payment again and charges nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from adapters.records import PaymentChannel
from gateway.payments import methods
from gateway.payments.requests import (
    Allocation,
    IdempotencyConflict,
    Method,
    PaymentRefused,
    Quote,
    make_payment,
    quote,
)
from gateway.store.payments import Payment, PaymentMethod, PaymentState
from resolvers.access import may_write, signed_in
from schema.enums import MethodKind
from schema.errors import BadUserInput, IdempotencyConflictError
from schema.fields import mutation
from schema.info import GatewayInfo
from schema.scalars import Money


@strawberry.enum
class PaymentStatus(Enum):
    POSTED = "POSTED"  # applied to the accounts in the CIS
    PENDING = "PENDING"  # being charged or applied; the gateway finishes it
    DECLINED = "DECLINED"  # nothing was charged


_STATUS = {
    PaymentState.RECORDED: PaymentStatus.PENDING,
    PaymentState.CHARGED: PaymentStatus.PENDING,
    PaymentState.POSTED: PaymentStatus.POSTED,
    PaymentState.DECLINED: PaymentStatus.DECLINED,
}


@strawberry.type(name="PaymentMethod")
class StoredPaymentMethod:
    id: int
    kind: MethodKind
    brand: str | None
    last4: str
    expiry_month: int | None
    expiry_year: int | None
    nickname: str
    is_default: bool

    @classmethod
    def of(cls, method: PaymentMethod) -> StoredPaymentMethod:
        return cls(
            id=method.id,
            kind=method.kind,
            brand=method.brand,
            last4=method.last4,
            expiry_month=method.expiry_month,
            expiry_year=method.expiry_year,
            nickname=method.nickname,
            is_default=method.is_default,
        )


@strawberry.input
class AllocationInput:
    account_number: str
    amount: Money


@strawberry.type
class AllocationLine:
    account_number: str
    amount: Money


@strawberry.type
class PaymentQuote:
    allocations: list[AllocationLine]
    amount: Money = strawberry.field(description="Applied to the accounts.")
    fee: Money = strawberry.field(description="The co-op's convenience fee, charged on top.")
    total: Money = strawberry.field(description="What the payment method is charged.")

    @classmethod
    def of(cls, priced: Quote) -> PaymentQuote:
        return cls(
            allocations=[_line(a.account_number, a.amount) for a in priced.allocations],
            amount=Money(priced.amount),
            fee=Money(priced.fee),
            total=Money(priced.total),
        )


@strawberry.type
class PaymentResult:
    confirmation_number: str
    status: PaymentStatus
    method: str = strawberry.field(description='How the member knows it: "VISA ending in 4242".')
    allocations: list[AllocationLine]
    amount: Money
    fee: Money
    total: Money
    decline_reason: str | None
    decline_message: str | None
    created_at: datetime

    @classmethod
    def of(cls, payment: Payment, info: GatewayInfo) -> PaymentResult:
        return cls(
            confirmation_number=payment.reference,
            status=_STATUS[payment.state],
            method=payment.method_description,
            allocations=[_line(a.account_number, a.amount) for a in payment.allocations],
            amount=Money(payment.amount),
            fee=Money(payment.fee),
            total=Money(payment.total),
            decline_reason=payment.decline_reason,
            decline_message=payment.decline_message,
            created_at=payment.created_at.astimezone(info.context.cooperative.time_zone),
        )


@contextmanager
def refusals_as_bad_input() -> Iterator[None]:
    try:
        yield
    except PaymentRefused as error:
        raise BadUserInput(str(error)) from None
    except IdempotencyConflict as error:
        raise IdempotencyConflictError(str(error)) from None


async def priced(
    info: GatewayInfo,
    allocations: Sequence[AllocationInput],
    payment_method_id: int | None,
    one_time_token: str | None,
) -> tuple[Method, Quote]:
    """The payment method and the quote of a request; raises BAD_USER_INPUT."""
    context = info.context
    principal = may_write(context)
    with refusals_as_bad_input():
        processor_settings = context.cooperative.payments
        method = await methods.paying_method(
            context.services, principal, payment_method_id, one_time_token, context.received_at
        )
        assert processor_settings is not None  # paying_method refused a co-op without one
        asked = [Allocation(a.account_number.strip(), Decimal(a.amount)) for a in allocations]
        accounts = await context.loaders.accounts.load_many(
            [a.account_number for a in asked if a.account_number in principal.account_numbers]
        )
        by_number = {account.account_number: account for account in accounts if account}
        return method, quote(processor_settings, principal, asked, by_number, method.kind)


@strawberry.type
class PaymentMutations:
    @mutation("Stores a card or bank account the app tokenized with the payment processor.")
    async def add_payment_method(
        self,
        info: GatewayInfo,
        token: str,
        nickname: str | None = None,
        make_default: bool = False,
    ) -> StoredPaymentMethod:
        context = info.context
        with refusals_as_bad_input():
            stored = await methods.add_method(
                context.services,
                may_write(context),
                token,
                nickname,
                make_default,
                context.received_at,
            )
        return StoredPaymentMethod.of(stored)

    @mutation("Renames a stored payment method, or makes it the default.")
    async def update_payment_method(
        self,
        info: GatewayInfo,
        id: int,
        nickname: str | None = None,
        make_default: bool = False,
    ) -> StoredPaymentMethod:
        context = info.context
        with refusals_as_bad_input():
            changed = await methods.change_method(
                context.services,
                may_write(context),
                id,
                nickname=nickname,
                make_default=make_default,
                now=context.received_at,
            )
        return StoredPaymentMethod.of(changed)

    @mutation("Removes a stored payment method; payments made with it keep their record.")
    async def remove_payment_method(self, info: GatewayInfo, id: int) -> bool:
        context = info.context
        with refusals_as_bad_input():
            await methods.change_method(
                context.services, may_write(context), id, remove=True, now=context.received_at
            )
        return True

    @mutation(
        "Pays chosen amounts on one or several of the member's accounts with one charge."
        " Give a stored `paymentMethodId` or a processor `oneTimeToken`, and a fresh"
        " `idempotencyKey` (a UUID) per payment: repeating it answers the first payment."
    )
    async def make_payment(
        self,
        info: GatewayInfo,
        idempotency_key: str,
        allocations: list[AllocationInput],
        payment_method_id: int | None = None,
        one_time_token: str | None = None,
    ) -> PaymentResult:
        method, priced_payment = await priced(info, allocations, payment_method_id, one_time_token)
        return await _pay(info, idempotency_key, method, priced_payment)

    @mutation("Pays the total due on all the member's accounts that owe, or on `accountNumbers`.")
    async def pay_total_due(
        self,
        info: GatewayInfo,
        idempotency_key: str,
        account_numbers: list[str] | None = None,
        payment_method_id: int | None = None,
        one_time_token: str | None = None,
    ) -> PaymentResult:
        principal = may_write(info.context)
        numbers = sorted(principal.account_numbers if account_numbers is None else account_numbers)
        accounts = await info.context.loaders.accounts.load_many(
            [number for number in numbers if number in principal.account_numbers]
        )
        owing = [
            AllocationInput(
                account_number=account.account_number, amount=Money(account.balance.total)
            )
            for account in accounts
            if account is not None and account.balance.total > 0
        ]
        if not owing:
            raise BadUserInput("nothing is due on those accounts")
        method, priced_payment = await priced(info, owing, payment_method_id, one_time_token)
        return await _pay(info, idempotency_key, method, priced_payment)


async def _pay(
    info: GatewayInfo, idempotency_key: str, method: Method, priced_payment: Quote
) -> PaymentResult:
    context = info.context
    with refusals_as_bad_input():
        payment = await make_payment(
            context.services,
            may_write(context),
            idempotency_key,
            method,
            priced_payment,
            PaymentChannel.WEB,
            context.received_at,
        )
    return PaymentResult.of(payment, info)


def _line(account_number: str, amount: Decimal) -> AllocationLine:
    return AllocationLine(account_number=account_number, amount=Money(amount))


async def payment_quote(
    info: GatewayInfo,
    allocations: list[AllocationInput],
    payment_method_id: int | None = None,
    one_time_token: str | None = None,
) -> PaymentQuote:
    """Per-account amounts, the convenience fee and the total, before the member confirms."""
    _method, priced_payment = await priced(info, allocations, payment_method_id, one_time_token)
    return PaymentQuote.of(priced_payment)


async def payment_methods(info: GatewayInfo) -> list[StoredPaymentMethod]:
    stored = await methods.stored_methods(info.context.services, signed_in(info.context))
    return [StoredPaymentMethod.of(method) for method in stored]
