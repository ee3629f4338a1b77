"""Paying: a quote, and payments of one or several accounts with one charge.

A payment's answer says whether it is POSTED (applied), PENDING (charged or being
confirmed: the gateway finishes it), DECLINED (the processor's reason), FAILED (the
processor could not be reached; nothing charged), REFUNDED (the CIS refused every account's
part, so the charge was given back) or NEEDS_ATTENTION (the CIS refused some accounts' part:
the co-op's staff apply or refund it). Repeating a request with the same
``idempotencyKey`` answers the first payment again and charges nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal

import strawberry

from adapters.records import PaymentChannel
from gateway.payments import methods
from gateway.payments.requests import (
    Allocation,
    Asked,
    Method,
    PaymentRefused,
    Quote,
    asked,
    earlier_payment,
    make_payment,
    quote,
)
from gateway.store.models import ClientKind
from gateway.store.payments import Payment, PaymentState
from resolvers.access import may_write
from resolvers.pending_payments import pending_total
from schema.enums import PaymentStatus
from schema.fields import mutation
from schema.info import GatewayInfo
from schema.payment_refusals import payment_refusals
from schema.scalars import Money

_STATUS = {
    PaymentState.RECORDED: PaymentStatus.PENDING,
    PaymentState.CHARGED: PaymentStatus.PENDING,
    PaymentState.POSTED: PaymentStatus.POSTED,
    PaymentState.DECLINED: PaymentStatus.DECLINED,
    PaymentState.FAILED: PaymentStatus.FAILED,
    PaymentState.REFUNDING: PaymentStatus.REFUNDED,
    PaymentState.REFUNDED: PaymentStatus.REFUNDED,
    PaymentState.NEEDS_ATTENTION: PaymentStatus.NEEDS_ATTENTION,
    PaymentState.SETTLED: PaymentStatus.SETTLED,
}


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


async def priced(
    info: GatewayInfo,
    allocations: Sequence[AllocationInput],
    payment_method_id: int | None,
    one_time_token: str | None,
) -> tuple[Method, Quote]:
    """The payment method and the quote of a request; raises `PaymentRefused`."""
    context = info.context
    principal = may_write(context)
    method = await methods.paying_method(
        context.services, principal, payment_method_id, one_time_token, context.received_at
    )
    settings = context.cooperative.payments
    if settings is None:  # paying_method refuses first; here for the type checker
        raise PaymentRefused("this co-op takes no payments here")
    wanted = [Allocation(a.account_number.strip(), Decimal(a.amount)) for a in allocations]
    own = [a.account_number for a in wanted if a.account_number in principal.account_numbers]
    accounts, in_flight = await asyncio.gather(
        context.loaders.accounts.load_many(own), context.store.pending_payments.load_many(own)
    )
    pending = {
        number: pending_total(allocations)
        for number, allocations in zip(own, in_flight, strict=True)
    }
    by_number = {account.account_number: account for account in accounts if account}
    return method, quote(settings, principal, wanted, by_number, pending, method.kind)


@strawberry.type
class PaymentMutations:
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
        with payment_refusals():
            sent = sorted((a.account_number.strip(), str(a.amount)) for a in allocations)
            request = asked(idempotency_key, "makePayment", payment_method_id, one_time_token, sent)
            return await _pay(
                info, request, lambda: priced(info, allocations, payment_method_id, one_time_token)
            )

    @mutation("Pays the total due on all the member's accounts that owe, or on `accountNumbers`.")
    async def pay_total_due(
        self,
        info: GatewayInfo,
        idempotency_key: str,
        account_numbers: list[str] | None = None,
        payment_method_id: int | None = None,
        one_time_token: str | None = None,
    ) -> PaymentResult:
        async def owing() -> tuple[Method, Quote]:
            principal = may_write(info.context)
            chosen = principal.account_numbers if account_numbers is None else account_numbers
            numbers = sorted(number for number in chosen if number in principal.account_numbers)
            accounts = await info.context.loaders.accounts.load_many(numbers)
            due = [
                AllocationInput(
                    account_number=account.account_number, amount=Money(account.balance.total)
                )
                for account in accounts
                if account is not None and account.balance.total > 0
            ]
            if not due:
                raise PaymentRefused("nothing is due on those accounts")
            return await priced(info, due, payment_method_id, one_time_token)

        with payment_refusals():
            chosen = None if account_numbers is None else sorted(account_numbers)
            request = asked(
                idempotency_key, "payTotalDue", payment_method_id, one_time_token, chosen
            )
            return await _pay(info, request, owing)


async def _pay(
    info: GatewayInfo, request: Asked, pricing: Callable[[], Awaitable[tuple[Method, Quote]]]
) -> PaymentResult:
    """The first payment made with the request's key, or a new one priced by ``pricing``."""
    context = info.context
    principal = may_write(context)
    payment = await earlier_payment(context.services, principal, request)
    if payment is None:
        method, priced_payment = await pricing()
        mobile = principal.client_kind is ClientKind.MOBILE
        channel = PaymentChannel.MOBILE if mobile else PaymentChannel.WEB
        payment = await make_payment(
            context.services, principal, request, method, priced_payment, channel
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
    with payment_refusals():
        _method, priced_payment = await priced(info, allocations, payment_method_id, one_time_token)
    return PaymentQuote.of(priced_payment)
