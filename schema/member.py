"""A member: a login of the co-op and the CIS accounts linked to it."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from adapters import records
from gateway.auth.sessions import Principal
from resolvers.access import readable_account
from schema.account import Account
from schema.account_loading import account_or_not_found, load_accounts
from schema.errors import NotFound
from schema.fields import field
from schema.info import GatewayInfo
from schema.scalars import Money


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
        loaders = info.context.loaders
        accounts = await loaders.accounts.load_many(self.account_numbers)
        known = next((account for account in accounts if account is not None), None)
        if known is None:
            return None
        customer = await loaders.customers.load(known.customer_id)
        return None if customer is None else customer_name(customer)

    @field("Every account linked to the member, by number.")
    async def accounts(self, info: GatewayInfo) -> list[Account] | None:
        return await load_accounts(info, self.account_numbers)

    @field("The sum of the accounts' total balances.")
    async def total_due(self, info: GatewayInfo) -> Money | None:
        accounts = await info.context.loaders.accounts.load_many(self.account_numbers)
        totals = (account.balance.total for account in accounts if account is not None)
        return Money(sum(totals, Decimal(0)))

    @field("One of the member's accounts; NOT_FOUND for any other.")
    async def account(self, info: GatewayInfo, number: str) -> Account | None:
        if number not in self.account_numbers:
            raise NotFound(f"no account {number}")
        readable_account(info.context, number)
        return await account_or_not_found(info, number)


def customer_name(customer: records.Customer) -> str:
    """A business's name, or a person's first and last name."""
    if customer.dba_name:
        return customer.dba_name
    return " ".join(part for part in (customer.first_name, customer.last_name) if part)
