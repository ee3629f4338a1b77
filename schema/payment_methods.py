"""A member's stored payment methods: list, add (a token the app got from the processor),
rename, make default, remove."""

from __future__ import annotations

import strawberry

from gateway.payments import methods
from gateway.store.payments import PaymentMethod
from resolvers.access import may_write, signed_in
from schema.enums import MethodKind
from schema.fields import mutation
from schema.info import GatewayInfo
from schema.payment_refusals import payment_refusals


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


@strawberry.type
class PaymentMethodMutations:
    @mutation("Stores a card or bank account the app tokenized with the payment processor.")
    async def add_payment_method(
        self,
        info: GatewayInfo,
        token: str,
        nickname: str | None = None,
        make_default: bool = False,
    ) -> StoredPaymentMethod:
        context = info.context
        with payment_refusals():
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
        with payment_refusals():
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
        with payment_refusals():
            await methods.change_method(
                context.services, may_write(context), id, remove=True, now=context.received_at
            )
        return True


async def payment_methods(info: GatewayInfo) -> list[StoredPaymentMethod]:
    stored = await methods.stored_methods(info.context.services, signed_in(info.context))
    return [StoredPaymentMethod.of(method) for method in stored]
