"""A member: a login of the co-op and the CIS accounts linked to it."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from gateway.auth.sessions import Principal
from resolvers.access import readable_account, signed_in
from schema.account import Account
from schema.account_loading import account_or_not_found, load_accounts
from schema.errors import Forbidden, NotFound
from schema.fields import field
from schema.info import GatewayInfo
from schema.notifications import Notifications, notifications_of
from schema.payment_methods import StoredPaymentMethod, payment_methods
from schema.profile import Profile, first_customer, profile
from schema.scalars import Money
from schema.security import Security, security_of


@strawberry.type
class Member:
    email: str
    account_numbers: strawberry.Private[list[str]]

    @classmethod
    def of(cls, email: str, account_numbers: frozenset[str]) -> Member:
        return cls(email=email, account_numbers=sorted(account_numbers))

    @classmethod
    def from_principal(cls, principal: Principal) -> Member:
        return cls.of(principal.email, principal.account_numbers)

    @field("The name on the CIS customer of the member's first account.")
    async def name(self, info: GatewayInfo) -> str | None:
        customer = await first_customer(info, self.account_numbers)
        return None if customer is None else customer.display_name

    @field("Every account linked to the member, by number.")
    async def accounts(self, info: GatewayInfo) -> list[Account] | None:
        return await load_accounts(info, self.account_numbers)

    @field("The sum of the accounts' total balances.")
    async def total_due(self, info: GatewayInfo) -> Money | None:
        accounts = await info.context.loaders.accounts.load_many(self.account_numbers)
        totals = (account.balance.total for account in accounts if account is not None)
        return Money(sum(totals, Decimal(0)))

    profile: Profile | None = strawberry.field(
        resolver=profile,
        description="Contact details as the CIS holds them (of the first account's customer).",
    )

    @field("The login's own security settings; only its member sees them.")
    async def security(self, info: GatewayInfo) -> Security | None:
        self._only_the_member(info, "security settings")
        return await security_of(info.context)

    @field("The login's stored cards and bank accounts, the default first.")
    async def payment_methods(self, info: GatewayInfo) -> list[StoredPaymentMethod] | None:
        self._only_the_member(info, "payment methods")
        return await payment_methods(info)

    @field("The login's notification contacts, preferences and digest choice.")
    async def notifications(self, info: GatewayInfo) -> Notifications | None:
        self._only_the_member(info, "notification settings")
        return await notifications_of(info)

    def _only_the_member(self, info: GatewayInfo, what: str) -> None:
        if signed_in(info.context).email != self.email:
            raise Forbidden(f"only the member sees their own {what}")

    @field("One of the member's accounts; NOT_FOUND for any other.")
    async def account(self, info: GatewayInfo, number: str) -> Account | None:
        if number not in self.account_numbers:
            raise NotFound(f"no account {number}")
        readable_account(info.context, number)
        return await account_or_not_found(info, number)
