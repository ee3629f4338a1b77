"""Signing accounts up for automatic payment, changing how, and cancelling."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, select

from gateway.auth.sessions import Principal
from gateway.context import Services
from gateway.payments.autopay import MAX_DAYS_BEFORE_DUE
from gateway.payments.methods import own_method, processor_of
from gateway.payments.requests import PaymentRefused
from gateway.store.payments import AutopayEnrollment


async def enroll(
    services: Services,
    principal: Principal,
    account_number: str,
    payment_method_id: int,
    days_before_due: int,
    max_amount: Decimal | None,
) -> AutopayEnrollment:
    """Enrolls one of the member's accounts (or changes its enrollment)."""
    processor_of(services)
    if account_number not in principal.account_numbers:
        raise PaymentRefused(f"no account {account_number}")
    if not 0 <= days_before_due <= MAX_DAYS_BEFORE_DUE:
        raise PaymentRefused(f"daysBeforeDue must be between 0 and {MAX_DAYS_BEFORE_DUE}")
    # The Money scalar let only whole cents through.
    if max_amount is not None and max_amount <= 0:
        raise PaymentRefused("maxAmount must be above zero")
    async with services.db.begin() as session:
        method = await own_method(session, principal, payment_method_id)
        if method is None:
            raise PaymentRefused("no such payment method (was it removed?)")
        enrollment = await session.scalar(
            select(AutopayEnrollment).where(
                AutopayEnrollment.cooperative_id == principal.cooperative_id,
                AutopayEnrollment.account_number == account_number,
            )
        )
        if enrollment is None:
            enrollment = AutopayEnrollment(
                cooperative_id=principal.cooperative_id, account_number=account_number
            )
            session.add(enrollment)
        # Whoever enrolls last pays: one enrollment per account, whichever member holds it.
        enrollment.user_id = principal.user_id
        enrollment.payment_method_id = method.id
        enrollment.days_before_due = days_before_due
        enrollment.max_amount = max_amount
    return enrollment


async def cancel(services: Services, principal: Principal, account_number: str) -> bool:
    """Stops automatic payment of one of the member's accounts; False if it had none."""
    if account_number not in principal.account_numbers:
        raise PaymentRefused(f"no account {account_number}")
    async with services.db.begin() as session:
        removed = await session.scalar(
            delete(AutopayEnrollment)
            .where(
                AutopayEnrollment.cooperative_id == principal.cooperative_id,
                AutopayEnrollment.account_number == account_number,
            )
            .returning(AutopayEnrollment.id)
        )
    return removed is not None
