"""Automatic payment: an enrolled account's latest bill is drafted once, from the stored
method, on its due date or the chosen number of days before.

The worker's autopay round reads every enrolled account and its latest bill from the CIS in
two batch calls. For each bill it keeps one `AutopayDraft` row (unique per account and
bill): a reminder goes out a few days before the draft day, then the draft is paid through
the ordinary payment flow with an idempotency key made of the account and the bill, so a
round that dies halfway and runs again pays nothing twice. An amount above the member's
ceiling is not drafted, and the member is told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from adapters.records import Account, Bill, DateRange, PaymentChannel
from gateway.auth.sessions import Principal, linked_account_numbers
from gateway.context import Services
from gateway.payments.methods import describe
from gateway.payments.requests import Allocation, Asked, Method, PaymentRefused, make_payment, quote
from gateway.store.models import User, utc_now
from gateway.store.payments import (
    AutopayDraft,
    AutopayEnrollment,
    DraftState,
    Payment,
    PaymentMethod,
    PaymentState,
)

MAX_DAYS_BEFORE_DUE = 20
REMINDER_DAYS = 3  # the "upcoming draft" e-mail goes out this many days before the draft
BILL_LOOKBACK = timedelta(days=45)  # a bill older than this is not the one to draft
_LEASE = timedelta(minutes=5)

_OUTCOMES = {
    PaymentState.POSTED: "was paid",
    PaymentState.DECLINED: "was declined by the card or bank: please pay another way",
    PaymentState.FAILED: "could not be charged: please pay another way",
}

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NextDraft:
    draft_on: date
    amount: Decimal
    bill_id: str


def next_draft(
    enrollment: AutopayEnrollment, account: Account, bill: Bill | None
) -> NextDraft | None:
    """When the account's latest bill will be drafted and for how much (what is owed)."""
    if bill is None or account.balance.total <= 0:
        return None
    draft_on = bill.due_date - timedelta(days=enrollment.days_before_due)
    return NextDraft(draft_on, account.balance.total, bill.bill_id)


async def run_autopay(services: Services, today: date) -> int:
    """One autopay round for the co-op (``today`` is its local date); drafts made."""
    enrollments = await _claim(services)
    if not enrollments:
        return 0
    try:
        return await _draft_due(services, enrollments, today)
    finally:
        await _release(services, enrollments)


async def _draft_due(services: Services, enrollments: list[AutopayEnrollment], today: date) -> int:
    numbers = [enrollment.account_number for enrollment in enrollments]
    period = DateRange(today - BILL_LOOKBACK, today)
    accounts = await services.adapter.get_accounts(numbers)
    bills = await services.adapter.get_bills(numbers, period)
    drafted = 0
    for enrollment in enrollments:
        account = accounts.get(enrollment.account_number)
        latest = next(iter(bills.get(enrollment.account_number, ())), None)
        if account is None:
            continue
        upcoming = next_draft(enrollment, account, latest)
        if upcoming is None or latest is None:
            continue
        try:
            drafted += await _handle(services, enrollment, account, latest, upcoming, today)
        except Exception:  # one account's surprise must not stop the others
            logger.exception("autopay of account %s failed this round", enrollment.account_number)
    return drafted


async def _claim(services: Services) -> list[AutopayEnrollment]:
    now = utc_now()
    async with services.db.begin() as session:
        claimed = list(
            await session.scalars(
                select(AutopayEnrollment)
                .where(
                    AutopayEnrollment.cooperative_id == services.cooperative.id,
                    or_(
                        AutopayEnrollment.leased_until.is_(None),
                        AutopayEnrollment.leased_until <= now,
                    ),
                )
                .order_by(AutopayEnrollment.id)
                .with_for_update(skip_locked=True)
            )
        )
        for enrollment in claimed:
            enrollment.leased_until = now + _LEASE
    return claimed


async def _release(services: Services, enrollments: list[AutopayEnrollment]) -> None:
    ids = [enrollment.id for enrollment in enrollments]
    async with services.db.begin() as session:
        await session.execute(
            update(AutopayEnrollment).where(AutopayEnrollment.id.in_(ids)).values(leased_until=None)
        )


async def _handle(
    services: Services,
    enrollment: AutopayEnrollment,
    account: Account,
    bill: Bill,
    upcoming: NextDraft,
    today: date,
) -> int:
    draft = await _draft_row(services, enrollment, bill, upcoming)
    if draft.state is not DraftState.SCHEDULED:
        return 0
    values = await _letter_values(services, enrollment, account, upcoming)
    if values is None:
        return 0
    email, letter = values
    if today < upcoming.draft_on:
        reminder_due = today >= upcoming.draft_on - timedelta(days=REMINDER_DAYS)
        if reminder_due and await _mark(services, draft, reminded_at=utc_now()):
            services.outbox.post("autopay-upcoming", email, letter)
        return 0
    ceiling = enrollment.max_amount
    if ceiling is not None and upcoming.amount > ceiling:
        reason = f"${upcoming.amount} is above the ceiling of ${ceiling}"
        if await _mark(services, draft, state=DraftState.SKIPPED, reason=reason):
            services.outbox.post("autopay-skipped", email, {**letter, "ceiling": f"${ceiling}"})
        return 0
    payment = await _pay(services, enrollment, account, bill, upcoming)
    if payment is None:
        return 0
    drafted = {"state": DraftState.DRAFTED, "payment_id": payment.id, "drafted_at": utc_now()}
    if await _mark(services, draft, **drafted):
        outcome = _OUTCOMES.get(payment.state, "is being processed")
        letter |= {"outcome": outcome, "confirmation": payment.reference}
        services.outbox.post("autopay-drafted", email, letter)
    return 1


async def _draft_row(
    services: Services, enrollment: AutopayEnrollment, bill: Bill, upcoming: NextDraft
) -> AutopayDraft:
    draft = AutopayDraft(
        cooperative_id=enrollment.cooperative_id,
        account_number=enrollment.account_number,
        bill_id=bill.bill_id,
        user_id=enrollment.user_id,
        due_date=bill.due_date,
        draft_on=upcoming.draft_on,
        state=DraftState.SCHEDULED,
    )
    try:
        async with services.db.begin() as session:
            session.add(draft)
        return draft
    except IntegrityError:  # known from an earlier round
        async with services.db() as session:
            found = await session.scalar(
                select(AutopayDraft).where(
                    AutopayDraft.cooperative_id == enrollment.cooperative_id,
                    AutopayDraft.account_number == enrollment.account_number,
                    AutopayDraft.bill_id == bill.bill_id,
                )
            )
        if found is None:
            raise
        return found


async def _mark(services: Services, draft: AutopayDraft, **values: object) -> bool:
    """Updates the draft if it is still scheduled (and, for a reminder, not yet reminded);
    whether this round did it, so each e-mail goes once."""
    conditions = [AutopayDraft.id == draft.id, AutopayDraft.state == DraftState.SCHEDULED]
    if "reminded_at" in values:
        conditions.append(AutopayDraft.reminded_at.is_(None))
    async with services.db.begin() as session:
        done = await session.scalar(
            update(AutopayDraft).where(*conditions).values(**values).returning(AutopayDraft.id)
        )
    return done is not None


async def _pay(
    services: Services,
    enrollment: AutopayEnrollment,
    account: Account,
    bill: Bill,
    upcoming: NextDraft,
) -> Payment | None:
    settings = services.cooperative.payments
    async with services.db() as session:
        user = await session.get(User, enrollment.user_id)
        method = await session.get(PaymentMethod, enrollment.payment_method_id)
        numbers = await linked_account_numbers(
            session, enrollment.user_id, enrollment.cooperative_id
        )
    if settings is None or user is None or method is None or method.token is None:
        logger.warning("autopay of account %s has no usable payment method", account.account_number)
        return None
    principal = Principal(
        user.id, user.cooperative_id, user.email, user.role, numbers, session_id=None
    )
    allocations = [Allocation(account.account_number, upcoming.amount)]
    try:
        priced = quote(
            settings, principal, allocations, {account.account_number: account}, {}, method.kind
        )
    except PaymentRefused as refusal:
        logger.warning("autopay of account %s refused: %s", account.account_number, refusal)
        return None
    # One key per account and bill: a round run again finds the payment, not a new one.
    key = f"autopay:{account.account_number}:{bill.bill_id}"
    request = Asked(key, key)
    return await make_payment(
        services,
        principal,
        request,
        Method(method.token, method.kind, describe(method)),
        priced,
        PaymentChannel.AUTOPAY,
    )


async def _letter_values(
    services: Services, enrollment: AutopayEnrollment, account: Account, upcoming: NextDraft
) -> tuple[str, dict[str, str]] | None:
    async with services.db() as session:
        email = await session.scalar(select(User.email).where(User.id == enrollment.user_id))
        method = await session.get(PaymentMethod, enrollment.payment_method_id)
    if email is None or method is None:
        return None
    return email, {
        "cooperative": services.cooperative.name,
        "account": account.account_number,
        "amount": f"${upcoming.amount}",
        "draft_on": upcoming.draft_on.strftime("%B %-d, %Y"),
        "method": describe(method),
    }


def local_today(services: Services, now: datetime | None = None) -> date:
    return (now or utc_now()).astimezone(services.cooperative.time_zone).date()
