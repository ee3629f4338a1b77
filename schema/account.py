"""A CIS account: its balance from the account record, the rest loaded when asked for.

An ``Account`` is only ever built for a request allowed to read it (see
``resolvers.access``); its nested fields read that account's data and nothing else.

The fields a list of accounts asks of every account (service locations, outage status,
pages of bills and payments) are read for the whole list in one await by
``schema.account_loading`` and are plain lookups here: an async resolver per account and
field costs more than the reads themselves. The fields asked of one account at a time
(usage, rate, outage history) load on their own, batched by the request's DataLoaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import strawberry

from adapters import records
from resolvers.pending_payments import PendingAllocation, pending_total
from resolvers.periods import history_period
from resolvers.usage import Resolution, account_usage, usage_window
from schema.autopay import Autopay, autopay_of
from schema.billing import Bill, Payment, pending_status
from schema.connections import Connection
from schema.enums import AccountStatus, PaymentStatus
from schema.fields import field
from schema.info import GatewayInfo
from schema.locations import ServiceLocation
from schema.node import Node, global_id
from schema.outages import Outage, ServiceOutageStatus
from schema.scalars import Money
from schema.usage import Rate, UsageInterval
from schema.usage_markers import UsageMarker, usage_markers
from schema.usage_periods import UsageSummary, usage_summary

ACCOUNT_TYPE = "Account"
T = TypeVar("T")

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


@dataclass(slots=True)
class Loaded:
    """What was read for one account, each a value or the error that failed its read; a
    field's error fails that field only. Pages by the response key that asked them."""

    service_locations: list[ServiceLocation] | Exception | None = None
    outage_status: ServiceOutageStatus | Exception | None = None
    bills: dict[str, Connection[Bill] | Exception] = dataclass_field(default_factory=dict)
    payments: dict[str, Connection[Payment] | Exception] = dataclass_field(default_factory=dict)


def value_of(value: T | Exception | None) -> T:
    if isinstance(value, Exception):
        raise value
    if value is None:
        raise RuntimeError("a field of an account was not loaded with the account")
    return value


@strawberry.type
class PendingPayment:
    confirmation_number: str
    amount: Money
    created_at: datetime
    status: PaymentStatus = strawberry.field(
        description="PENDING, or NEEDS_ATTENTION once the CIS refused it (staff finish it)."
    )

    @classmethod
    def of(cls, allocation: PendingAllocation, zone: ZoneInfo) -> PendingPayment:
        return cls(
            confirmation_number=allocation.confirmation_number,
            amount=Money(allocation.amount),
            created_at=allocation.created_at.astimezone(zone),
            status=pending_status(allocation),
        )


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
    loaded: strawberry.Private[Loaded]

    @classmethod
    def from_record(cls, account: records.Account, loaded: Loaded) -> Account:
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
            loaded=loaded,
        )

    @strawberry.field
    def service_locations(self) -> list[ServiceLocation] | None:
        return value_of(self.loaded.service_locations)

    @field("Bills dated in [from, to], newest first.")
    def bills(
        self,
        info: GatewayInfo,
        first: First = None,
        after: str | None = None,
        from_: From = None,
        to: To = None,
    ) -> Connection[Bill] | None:
        # The page was read with these arguments for the whole list (see account_loading).
        return value_of(self.loaded.bills.get(str(info.path.key)))

    @field(
        "Payments posted on a local date in [from, to], newest first, and those made here on"
        " such a date that the CIS has not applied yet (status PENDING or NEEDS_ATTENTION)."
    )
    def payments(
        self,
        info: GatewayInfo,
        first: First = None,
        after: str | None = None,
        from_: From = None,
        to: To = None,
    ) -> Connection[Payment] | None:
        return value_of(self.loaded.payments.get(str(info.path.key)))

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

    @field(
        "Totals, daily averages, peaks and estimated cost of the usage over the co-op's local"
        " days [from, to] (at most 731 days; default the last 30), with the same days a year"
        " earlier."
    )
    async def usage_summary(
        self,
        info: GatewayInfo,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
    ) -> UsageSummary | None:
        return await usage_summary(info, self.number, from_, to)

    @field("The viewer's own usage markers on this account, latest day first.")
    async def usage_markers(self, info: GatewayInfo) -> list[UsageMarker] | None:
        return await usage_markers(info, self.number)

    @strawberry.field
    async def rate(self, info: GatewayInfo) -> Rate | None:
        rate = await info.context.loaders.rate_schedules.load(self.number)
        return None if rate is None else Rate.from_record(rate)

    @field(
        "Payments made here that the billing system has not applied yet (charged, being"
        " confirmed, or refused by it and left for staff): the balance does not show them."
        " Newest first."
    )
    async def pending_payments(self, info: GatewayInfo) -> list[PendingPayment] | None:
        pending = await info.context.store.pending_payments.load(self.number)
        zone = info.context.cooperative.time_zone
        return [PendingPayment.of(allocation, zone) for allocation in pending]

    @field("The sum of `pendingPayments`: what the balance will drop by once they are applied.")
    async def pending_amount(self, info: GatewayInfo) -> Money | None:
        return Money(pending_total(await info.context.store.pending_payments.load(self.number)))

    @field("The account's automatic payment; null when it has none.")
    async def autopay(self, info: GatewayInfo) -> Autopay | None:
        return await autopay_of(info, self.number)

    @field("The power status of the account's worst-off location.")
    def outage_status(self) -> ServiceOutageStatus | None:
        return value_of(self.loaded.outage_status)

    @field("Outages at the account that started in [from, to].")
    async def outage_history(
        self, info: GatewayInfo, from_: From = None, to: To = None
    ) -> list[Outage] | None:
        context = info.context
        period = history_period(context, from_, to)
        events = await context.loaders.outage_history(period).load(self.number)
        zone = info.context.cooperative.time_zone
        return [Outage.from_record(event, zone) for event in events]
