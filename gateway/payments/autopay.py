"""Automatic payment: an enrolled account's latest bill is drafted once, from the stored
method, on its due date or the chosen number of days before.

The worker's autopay round takes the enrollments in batches, and reads each batch's
accounts and latest bills from the CIS in two batch calls. For each bill it keeps one
`AutopayDraft` row (unique per account and bill): a reminder goes out a few days before the
draft day, then the draft is paid through the ordinary payment flow with an idempotency key
made of the account and the bill, so a round that dies halfway and runs again pays nothing
twice. What is drafted is what is owed, less payments made here and not applied yet. An
amount above the member's ceiling is not drafted, and the member is told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
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
from resolvers.pending_payments import pending_totals

MAX_DAYS_BEFORE_DUE = 20
REMINDER_DAYS = 3  # the "upcoming draft" e-mail goes out this many days before the draft
BILL_LOOKBACK = timedelta(days=45)  # a bill older than this is not the one to draft
BATCH = 100  # enrollments claimed, and read from the CIS, at a time
_LEASE = timedelta(minutes=5)

# How an autopay draft's payment ended, as the member reads it ("… it {outcome}").
DRAFT_OUTCOMES = {
    PaymentState.POSTED: "was paid",
    PaymentState.DECLINED: "was declined by the card or bank: please pay another way",
    PaymentState.FAILED: "could not be charged: please pay another way",
}

logger = logging.getLogger(__name__)


def draft_outcome(state: PaymentState) -> str:
    return DRAFT_OUTCOMES.get(state, "is being processed")


@dataclass(frozen=True, slots=True)
class NextDraft:
    draft_on: date
    amount: Decimal


def next_draft(
    enrollment: AutopayEnrollment, account: Account, bill: Bill | None, pending: Decimal
) -> NextDraft | None:
    """When the account's latest bill will be drafted and for how much: what is owed, less
    ``pending`` (paid here, not applied yet); None when nothing is."""
    owed = account.balance.total - pending
    if bill is None or owed <= 0:
        return None
    return NextDraft(bill.due_date - timedelta(days=enrollment.days_before_due), owed)


async def run_autopay(services: Services, today: date) -> int:
    """One autopay round for the co-op (``today`` is its local date); drafts made."""
    drafted, after = 0, 0
    while enrollments := await _claim(services, after):
        try:
            drafted += await _draft_due(services, enrollments, today)
        finally:
            await _release(services, enrollments)
        after = enrollments[-1].id
    return drafted


async def _draft_due(services: Services, enrollments: list[AutopayEnrollment], today: date) -> int:
    numbers = [enrollment.account_number for enrollment in enrollments]
    accounts = await services.adapter.get_accounts(numbers)
    bills = await services.adapter.get_bills(numbers, DateRange(today - BILL_LOOKBACK, today))
    pending = await pending_totals(services.db, services.cooperative.id, numbers)
    drafted = 0
    for enrollment in enrollments:
        number = enrollment.account_number
        account = accounts.get(number)
        latest = next(iter(bills.get(number, ())), None)
        if account is None or latest is None:
            continue
        upcoming = next_draft(enrollment, account, latest, pending[number])
        # Nothing to do before the reminder is due: no row, no reads.
        if upcoming is None or today < upcoming.draft_on - timedelta(days=REMINDER_DAYS):
            continue
        try:
            drafted += await _handle(services, enrollment, account, latest, upcoming, today)
        except Exception:  # one account's surprise must not stop the others
            logger.exception("autopay of account %s failed this round", number)
    return drafted


async def _claim(services: Services, after: int) -> list[AutopayEnrollment]:
    """Leases the next batch of the co-op's enrollments (ids above ``after``) to this round."""
    now = utc_now()
    async with services.db.begin() as session:
        claimed = list(
            await session.scalars(
                select(AutopayEnrollment)
                .where(
                    AutopayEnrollment.cooperative_id == services.cooperative.id,
                    AutopayEnrollment.id > after,
                    or_(
                        AutopayEnrollment.leased_until.is_(None),
                        AutopayEnrollment.leased_until <= now,
                    ),
                )
                .order_by(AutopayEnrollment.id)
                .limit(BATCH)
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


@dataclass(frozen=True, slots=True)
class _Payer:
    """Who an enrollment pays for, and with what: read once per draft."""

    principal: Principal
    method: PaymentMethod
    token: str  # the method's, which a removed method no longer has


async def _payer(services: Services, enrollment: AutopayEnrollment) -> _Payer | None:
    async with services.db() as session:
        user = await session.get(User, enrollment.user_id)
        method = await session.get(PaymentMethod, enrollment.payment_method_id)
        numbers = await linked_account_numbers(
            session, enrollment.user_id, enrollment.cooperative_id
        )
    if user is None or method is None or method.token is None:
        return None
    principal = Principal(
        user.id, user.cooperative_id, user.email, user.role, numbers, session_id=None
    )
    return _Payer(principal, method, method.token)


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
    if today < upcoming.draft_on and draft.reminded_at is not None:
        return 0  # reminded already, and not its day yet: nothing to read
    payer = await _payer(services, enrollment)
    if payer is None:
        logger.warning("autopay of account %s has no usable payment method", bill.account_number)
        return 0
    email = payer.principal.email
    letter = {
        "cooperative": services.cooperative.name,
        "account": account.account_number,
        "amount": f"${upcoming.amount}",
        "draft_on": upcoming.draft_on.strftime("%B %-d, %Y"),
        "method": describe(payer.method),
    }
    if today < upcoming.draft_on:
        if await _mark(services, draft, reminded_at=utc_now()):
            services.outbox.post("autopay-upcoming", email, letter)
        return 0
    ceiling = enrollment.max_amount
    if ceiling is not None and upcoming.amount > ceiling:
        reason = f"${upcoming.amount} is above the ceiling of ${ceiling}"
        if await _mark(services, draft, state=DraftState.SKIPPED, reason=reason):
            services.outbox.post("autopay-skipped", email, {**letter, "ceiling": f"${ceiling}"})
        return 0
    payment = await _pay(services, payer, account, bill, upcoming)
    if payment is None:
        return 0
    drafted = {"state": DraftState.DRAFTED, "payment_id": payment.id, "drafted_at": utc_now()}
    if await _mark(services, draft, **drafted):
        outcome = draft_outcome(payment.state)
        letter |= {"outcome": outcome, "confirmation": payment.reference}
        services.outbox.post("autopay-drafted", email, letter)
    return 1


async def _draft_row(
    services: Services, enrollment: AutopayEnrollment, bill: Bill, upcoming: NextDraft
) -> AutopayDraft:
    """The bill's draft row, made on the first round that needs it."""
    for _ in range(2):  # a concurrent round may insert it between the read and the insert
        async with services.db() as session:
            found = await session.scalar(
                select(AutopayDraft).where(
                    AutopayDraft.cooperative_id == enrollment.cooperative_id,
                    AutopayDraft.account_number == enrollment.account_number,
                    AutopayDraft.bill_id == bill.bill_id,
                )
            )
        if found is not None:
            return found
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
        except IntegrityError:
            continue
        return draft
    raise RuntimeError(f"the draft of bill {bill.bill_id} can be neither read nor made")


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
    services: Services, payer: _Payer, account: Account, bill: Bill, upcoming: NextDraft
) -> Payment | None:
    settings = services.cooperative.payments
    method = payer.method
    if settings is None:  # the worker drafts only for co-ops that take payments
        return None
    allocations = [Allocation(account.account_number, upcoming.amount)]
    try:
        accounts = {account.account_number: account}
        priced = quote(settings, payer.principal, allocations, accounts, {}, method.kind)
    except PaymentRefused as refusal:
        logger.warning("autopay of account %s refused: %s", account.account_number, refusal)
        return None
    # One key per account and bill: a round run again finds the payment, not a new one.
    key = f"autopay:{account.account_number}:{bill.bill_id}"
    return await make_payment(
        services,
        payer.principal,
        Asked(key, key),
        Method(payer.token, method.kind, describe(method)),
        priced,
        PaymentChannel.AUTOPAY,
    )
