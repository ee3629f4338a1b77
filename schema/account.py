"""A CIS account: its balance from the account record, the rest loaded when asked for.

An ``Account`` is only ever built for a request allowed to read it (see
``resolvers.access``); its nested fields read that account's data and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, TypeVar

import strawberry

from adapters import records
from adapters.records import DateRange
from resolvers.batching import RecordLoader
from resolvers.loaders import CisLoaders
from resolvers.pagination import Page, paginate_period
from resolvers.periods import history_period
from resolvers.usage import Resolution, account_usage, usage_window
from schema.billing import Bill, Payment
from schema.connections import Connection, counts_rows
from schema.enums import AccountStatus
from schema.errors import NotFound
from schema.fields import field
from schema.info import GatewayInfo
from schema.locations import ServiceLocation
from schema.node import Node, global_id
from schema.outages import Outage, ServiceOutageStatus
from schema.scalars import Money
from schema.usage import Rate, UsageInterval

ACCOUNT_TYPE = "Account"
Row = TypeVar("Row")

From = Annotated[
    date | None,
    strawberry.argument(name="from", description="First local date; default 24 months ago."),
]
To = Annotated[date | None, strawberry.argument(description="Last local date; default today.")]
First = Annotated[
    int | None, strawberry.argument(description="Page size: default 12, at most 100.")
]


@strawberry.type
class Balance:
    current: Money = strawberry.field(description="Billed and not yet due.")
    past_due: Money = strawberry.field(description="Past its due date, all ages together.")
    total: Money


@strawberry.type
class LastPayment:
    amount: Money
    date: date


@strawberry.type
class Account(Node):
    number: str
    status: AccountStatus
    balance: Balance
    amount_due: Money = strawberry.field(description="What to pay now: the total, if positive.")
    due_date: date | None
    is_past_due: bool
    last_payment: LastPayment | None
    budget_bill: bool
    is_pre_pay: bool

    @classmethod
    def from_record(cls, account: records.Account) -> Account:
        balance = account.balance
        past_due = balance.past_30 + balance.past_60 + balance.past_90
        last_payment = None
        if account.last_payment_amount is not None and account.last_payment_date is not None:
            last_payment = LastPayment(
                amount=Money(account.last_payment_amount), date=account.last_payment_date
            )
        return cls(
            id=global_id(ACCOUNT_TYPE, account.account_number),
            number=account.account_number,
            status=account.account_status,
            balance=Balance(
                current=Money(balance.current), past_due=Money(past_due), total=Money(balance.total)
            ),
            amount_due=Money(max(balance.total, Decimal(0))),
            due_date=account.payment_due_date,
            is_past_due=past_due > 0,
            last_payment=last_payment,
            budget_bill=account.budget_bill,
            is_pre_pay=account.is_pre_pay,
        )

    @strawberry.field
    async def service_locations(self, info: GatewayInfo) -> list[ServiceLocation] | None:
        locations = await info.context.loaders.service_locations.load(self.number)
        return [ServiceLocation.from_record(location) for location in locations]

    @field("Bills dated in [from, to], newest first.")
    async def bills(
        self,
        info: GatewayInfo,
        first: First = None,
        after: str | None = None,
        from_: From = None,
        to: To = None,
    ) -> Connection[Bill] | None:
        page = await _history_page(
            info, self.number, CisLoaders.bills, _bill_id, first, after, from_, to
        )
        return Connection[Bill].from_page(page, Bill.from_record)

    @field("Payments posted on a local date in [from, to], newest first.")
    async def payments(
        self,
        info: GatewayInfo,
        first: First = None,
        after: str | None = None,
        from_: From = None,
        to: To = None,
    ) -> Connection[Payment] | None:
        page = await _history_page(
            info, self.number, CisLoaders.payments, _payment_id, first, after, from_, to
        )
        zone = info.context.cooperative.time_zone
        return Connection[Payment].from_page(page, lambda row: Payment.from_record(row, zone))

    @field(
        "Usage over the co-op's local days [from, to], summed over the account's meters."
        " Ranges: FIFTEEN_MINUTES up to 31 days, HOURLY 92, DAILY 731, MONTHLY 36 months."
        " Defaults: to today, from 1, 2, 30 or 365 days before."
    )
    async def usage(
        self,
        info: GatewayInfo,
        resolution: Resolution,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> list[UsageInterval] | None:
        window = usage_window(info.context, from_, to, resolution)
        rows = await account_usage(info.context, self.number, window, resolution)
        return [UsageInterval.from_row(row) for row in rows]

    @strawberry.field
    async def rate(self, info: GatewayInfo) -> Rate | None:
        rate = await info.context.loaders.rate_schedules.load(self.number)
        return None if rate is None else Rate.from_record(rate)

    @field("The power status of the account's worst-off location.")
    async def outage_status(self, info: GatewayInfo) -> ServiceOutageStatus | None:
        loaders = info.context.loaders
        locations = await loaders.service_locations.load(self.number)
        statuses = await loaders.outage_status.load_many(
            location.service_location_id for location in locations
        )
        return ServiceOutageStatus.worst(statuses, info.context.cooperative.time_zone)

    @field("Outages at the account that started in [from, to].")
    async def outage_history(
        self, info: GatewayInfo, from_: From = None, to: To = None
    ) -> list[Outage] | None:
        context = info.context
        period = history_period(context, from_, to)
        events = await context.loaders.outage_history(period).load(self.number)
        zone = info.context.cooperative.time_zone
        return [Outage.from_record(event, zone) for event in events]


def _bill_id(bill: records.Bill) -> str:
    return bill.bill_id


def _payment_id(payment: records.Payment) -> str:
    return payment.payment_id


async def account_or_not_found(info: GatewayInfo, number: str) -> Account:
    """The account ``number``, or NOT_FOUND when the CIS does not know it. The caller checked
    access."""
    accounts = await load_accounts(info, [number])
    if not accounts:
        raise NotFound(f"no account {number}")
    return accounts[0]


async def load_accounts(info: GatewayInfo, numbers: list[str]) -> list[Account]:
    """The accounts of ``numbers`` the CIS knows, in one batch. The caller checked access."""
    found = await info.context.loaders.accounts.load_many(numbers)
    return [Account.from_record(account) for account in found if account is not None]


async def _history_page(
    info: GatewayInfo,
    account_number: str,
    loader_of: Callable[[CisLoaders, DateRange], RecordLoader[str, tuple[Row, ...]]],
    key: Callable[[Row], str],
    first: int | None,
    after: str | None,
    from_: date | None,
    to: date | None,
) -> Page[Row]:
    """A page of an account's bills or payments: the recent window first when it can do."""
    loaders = info.context.loaders

    async def read(period: DateRange) -> tuple[Row, ...]:
        return await loader_of(loaders, period).load(account_number)

    period = history_period(info.context, from_, to)
    recent_first = from_ is None and after is None and not counts_rows(info)
    return await paginate_period(read, key, period, first, after, recent_first=recent_first)
