"""Payments the gateway makes: stored payment methods, and each payment's journey from the
member's request to the processor's charge to the CIS.

A payment row is written before anything else happens and updated after every step, so a
crash at any point leaves a row that says what to check next (``PaymentState``). Money is
kept as whole cents (`Cents`): exact on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.payments.processor import MethodKind
from gateway.store.models import (
    ACCOUNT_NUMBER_LENGTH,
    Base,
    FixedPoint,
    string_enum,
    user_foreign_key,
    utc_now,
)

NOTE_LENGTH = 200  # the longest error, decline message, refusal or reason a row keeps


class Cents(FixedPoint):
    """Dollars with at most two decimals, stored as integer cents."""

    cache_ok = True
    PLACES = 2


class PaymentState(StrEnum):
    RECORDED = "RECORDED"  # asked for; the charge not made yet, or its outcome unknown
    CHARGED = "CHARGED"  # the processor approved; applying it in the CIS
    POSTED = "POSTED"  # applied in the CIS: done
    DECLINED = "DECLINED"  # the processor refused: done, nothing charged
    FAILED = "FAILED"  # the processor could not be reached for too long: done, nothing charged
    REFUNDING = "REFUNDING"  # charged, but the CIS refused every allocation: giving it back
    REFUNDED = "REFUNDED"  # the charge was given back in full: done
    # The CIS applied some allocations and refused others: the co-op's staff settle the rest.
    NEEDS_ATTENTION = "NEEDS_ATTENTION"
    SETTLED = "SETTLED"  # staff applied the refused part by hand or refunded it: done


# The states a payment leaves by itself, each with a step to take.
UNFINISHED = (PaymentState.RECORDED, PaymentState.CHARGED, PaymentState.REFUNDING)


class PaymentMethod(Base):
    """A stored card or bank account: the processor's token and what a member needs to
    recognise it. Never a card or account number."""

    __tablename__ = "payment_methods"
    __table_args__ = (user_foreign_key(), UniqueConstraint("cooperative_id", "token"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    token: Mapped[str | None] = mapped_column(String(128))  # None once removed
    kind: Mapped[MethodKind] = mapped_column(string_enum(MethodKind, "kind"))
    brand: Mapped[str | None] = mapped_column(String(32))
    last4: Mapped[str] = mapped_column(String(4))
    expiry_month: Mapped[int | None]
    expiry_year: Mapped[int | None]
    nickname: Mapped[str] = mapped_column(String(60))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Kept, without its token, for the payments made with it; the token can be stored again.
    removed_at: Mapped[datetime | None]


class Payment(Base):
    """One payment request of a member: one charge at the processor for ``total``, applied
    in the CIS as one transaction per allocation."""

    __tablename__ = "payments"
    __table_args__ = (
        user_foreign_key(),
        UniqueConstraint("cooperative_id", "user_id", "idempotency_key"),
        Index("ix_payments_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int]
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))  # what was asked, to spot a reuse
    reference: Mapped[str] = mapped_column(String(40), unique=True)  # ours; the confirmation
    method_token: Mapped[str] = mapped_column(String(128))
    method_kind: Mapped[MethodKind] = mapped_column(string_enum(MethodKind, "method_kind"))
    method_description: Mapped[str] = mapped_column(String(80))  # "VISA ending in 4242"
    channel: Mapped[str] = mapped_column(String(16))  # the CIS's PaymentChannel: Web, Mobile…
    amount: Mapped[Decimal] = mapped_column(Cents())  # applied to accounts
    fee: Mapped[Decimal] = mapped_column(Cents())  # the convenience fee, charged on top
    state: Mapped[PaymentState] = mapped_column(string_enum(PaymentState, "state"))
    charge_id: Mapped[str | None] = mapped_column(String(64))
    decline_reason: Mapped[str | None] = mapped_column(String(32))
    decline_message: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    # The worker's schedule: when to look at it next, and a lease so one process at a time does.
    next_attempt_at: Mapped[datetime]
    leased_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))

    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment",
        cascade="all, delete-orphan",
        order_by="PaymentAllocation.position",
        lazy="selectin",
    )

    @property
    def total(self) -> Decimal:
        return self.amount + self.fee


class PaymentAllocation(Base):
    """The part of a payment for one account; its external reference makes the CIS apply it
    at most once however often it is sent."""

    __tablename__ = "payment_allocations"
    __table_args__ = (UniqueConstraint("payment_id", "account_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    position: Mapped[int]
    account_number: Mapped[str] = mapped_column(String(ACCOUNT_NUMBER_LENGTH), index=True)
    amount: Mapped[Decimal] = mapped_column(Cents())
    external_reference: Mapped[str] = mapped_column(String(48), unique=True)
    cis_payment_id: Mapped[str | None] = mapped_column(String(64))  # once applied
    posted_at: Mapped[datetime | None]
    refusal: Mapped[str | None] = mapped_column(
        String(NOTE_LENGTH)
    )  # why the CIS will not apply it

    payment: Mapped[Payment] = relationship(back_populates="allocations")


class DraftState(StrEnum):
    SCHEDULED = "SCHEDULED"  # the bill is known; drafted on its day
    DRAFTED = "DRAFTED"  # paid (the payment says how it went)
    SKIPPED = "SKIPPED"  # not drafted: nothing owed, or above the member's ceiling


class AutopayEnrollment(Base):
    """An account paid automatically from a stored method, on the due date or days before."""

    __tablename__ = "autopay_enrollments"
    __table_args__ = (user_foreign_key(), UniqueConstraint("cooperative_id", "account_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(index=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    account_number: Mapped[str] = mapped_column(String(ACCOUNT_NUMBER_LENGTH))
    payment_method_id: Mapped[int] = mapped_column(ForeignKey("payment_methods.id"))
    days_before_due: Mapped[int]
    max_amount: Mapped[Decimal | None] = mapped_column(Cents())  # the member's ceiling
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    leased_until: Mapped[datetime | None]  # a worker's claim


class AutopayDraft(Base):
    """One bill's automatic payment: unique per account and bill, so each is drafted once."""

    __tablename__ = "autopay_drafts"
    __table_args__ = (UniqueConstraint("cooperative_id", "account_number", "bill_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    account_number: Mapped[str] = mapped_column(String(ACCOUNT_NUMBER_LENGTH))
    bill_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int]
    due_date: Mapped[date]
    draft_on: Mapped[date]
    state: Mapped[DraftState] = mapped_column(string_enum(DraftState, "state"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    reason: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))  # why it was skipped
    reminded_at: Mapped[datetime | None]
    drafted_at: Mapped[datetime | None]
