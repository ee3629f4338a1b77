"""Automatic payment of an account: enrol, change, cancel, and see the next draft."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import strawberry

from adapters.records import DateRange
from gateway.payments.autopay import BILL_LOOKBACK, next_draft
from gateway.payments.enrollments import cancel, enroll
from gateway.store.payments import AutopayEnrollment
from resolvers.access import may_write
from resolvers.pending_payments import pending_total
from schema.fields import field, mutation
from schema.info import GatewayInfo
from schema.payment_refusals import payment_refusals
from schema.scalars import Money


@strawberry.type
class ScheduledDraft:
    date: date
    amount: Money


@strawberry.type
class Autopay:
    account_number: str
    payment_method_id: int
    days_before_due: int = strawberry.field(description="0: drafted on the due date.")
    max_amount: Money | None = strawberry.field(
        description="A bill above this is not drafted; the member is told."
    )
    enrollment: strawberry.Private[AutopayEnrollment]

    @field("The next draft: when, and what is owed now; null if none.")
    async def next_draft(self, info: GatewayInfo) -> ScheduledDraft | None:
        context = info.context
        number = self.account_number
        today = context.cooperative.local_date(context.received_at)
        account, bills, pending = await asyncio.gather(
            context.loaders.accounts.load(number),
            context.loaders.bills(DateRange(today - BILL_LOOKBACK, today)).load(number),
            context.store.pending_payments.load(number),
        )
        if account is None:
            return None
        paid_here = pending_total(pending)
        upcoming = next_draft(self.enrollment, account, next(iter(bills), None), paid_here)
        if upcoming is None:
            return None
        return ScheduledDraft(date=upcoming.draft_on, amount=Money(upcoming.amount))

    @classmethod
    def of(cls, enrollment: AutopayEnrollment) -> Autopay:
        return cls(
            account_number=enrollment.account_number,
            payment_method_id=enrollment.payment_method_id,
            days_before_due=enrollment.days_before_due,
            max_amount=None if enrollment.max_amount is None else Money(enrollment.max_amount),
            enrollment=enrollment,
        )


async def autopay_of(info: GatewayInfo, account_number: str) -> Autopay | None:
    """The account's enrollment (the account is one the request may read): one query for
    all the accounts of a list."""
    found = await info.context.store.autopay.load(account_number)
    return None if found is None else Autopay.of(found)


@strawberry.type
class AutopayMutations:
    @mutation(
        "Pays the account's bills automatically from a stored method, on the due date or"
        " `daysBeforeDue` days before; a bill above `maxAmount` is not drafted. Enrolling an"
        " enrolled account changes its enrollment."
    )
    async def enroll_autopay(
        self,
        info: GatewayInfo,
        account_number: str,
        payment_method_id: int,
        days_before_due: int = 0,
        max_amount: Money | None = None,
    ) -> Autopay:
        context = info.context
        with payment_refusals():
            enrollment = await enroll(
                context.services,
                may_write(context),
                account_number,
                payment_method_id,
                days_before_due,
                None if max_amount is None else Decimal(max_amount),
            )
        return Autopay.of(enrollment)

    @mutation("Stops automatic payment of the account; false if it had none.")
    async def cancel_autopay(self, info: GatewayInfo, account_number: str) -> bool:
        context = info.context
        with payment_refusals():
            return await cancel(context.services, may_write(context), account_number)
