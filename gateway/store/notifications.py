"""Notifications: where members want news (contacts) and the codes that prove them, of what
(preferences), what was sent (the notification log, and each message of it per address), and
how far the worker has read the CIS's outage feed.

``account_number`` is ``ALL_ACCOUNTS`` ("*") on a contact or preference that holds for all
of the member's accounts: a real value rather than NULL, so the unique constraints hold on
PostgreSQL too (where NULLs never collide).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.notifications.kinds import NotificationChannel, NotificationKind
from gateway.store.models import (
    ACCOUNT_NUMBER_LENGTH,
    Base,
    FixedPoint,
    string_enum,
    user_foreign_key,
    utc_now,
)
from gateway.store.payments import NOTE_LENGTH, Cents

ALL_ACCOUNTS = "*"


class KilowattHours(FixedPoint):
    """kWh with at most three decimals, stored as integer watt-hours."""

    cache_ok = True
    PLACES = 3

    def shown(self, value: Decimal) -> Decimal:
        kwh = value.normalize()  # 42500 Wh: 42.5 kWh
        return kwh.quantize(1) if kwh == kwh.to_integral_value() else kwh  # 40, not 4E+1


class NotificationContact(Base):
    """An address news may go to besides the login's own e-mail: another e-mail address, or
    a phone's e-mail-to-SMS gateway address (``5551234567@vtext.com``). It receives
    nothing until the member enters the code sent to it."""

    __tablename__ = "notification_contacts"
    __table_args__ = (
        user_foreign_key(),
        UniqueConstraint("user_id", "channel", "address", "account_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    cooperative_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[NotificationChannel] = mapped_column(
        string_enum(NotificationChannel, "channel")
    )
    address: Mapped[str] = mapped_column(String(320))
    account_number: Mapped[str] = mapped_column(String(ACCOUNT_NUMBER_LENGTH))  # or "*"
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    verified_at: Mapped[datetime | None]


class NotificationCode(Base):
    """The verification code of one member's address, with what was spent on it today: one
    row per member, channel and address, shared by the address's contacts (one per account)
    and kept when they are removed, so removing and adding a contact again buys no new
    tries. Deleted with the login."""

    __tablename__ = "notification_codes"
    __table_args__ = (user_foreign_key(),)

    user_id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[NotificationChannel] = mapped_column(
        string_enum(NotificationChannel, "channel"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str | None] = mapped_column(String(255))  # argon2id; None: no live code
    sent_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    tries: Mapped[int] = mapped_column(default=0)  # of the live code
    day: Mapped[date]  # the co-op's local day the counts below are of
    codes_today: Mapped[int] = mapped_column(default=0)
    tries_today: Mapped[int] = mapped_column(default=0)


class NotificationPreference(Base):
    """Whether a member wants one kind of news about one account (or all, "*"), on which
    channels, and the kind's parameters. No row: nothing is sent (news is opt-in)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (user_foreign_key(), UniqueConstraint("user_id", "account_number", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    cooperative_id: Mapped[str] = mapped_column(String(64))
    account_number: Mapped[str] = mapped_column(String(ACCOUNT_NUMBER_LENGTH))  # or "*"
    kind: Mapped[NotificationKind] = mapped_column(string_enum(NotificationKind, "kind"))
    email: Mapped[bool]
    sms: Mapped[bool]
    days_before: Mapped[int | None]  # DUE_SOON
    threshold_kwh: Mapped[Decimal | None] = mapped_column(KilowattHours())  # USAGE_ALERT
    threshold_cost: Mapped[Decimal | None] = mapped_column(Cents())  # USAGE_ALERT
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class NotificationSettings(Base):
    """A member's own choices across kinds: a digest puts a round's news in one message."""

    __tablename__ = "notification_settings"
    __table_args__ = (user_foreign_key(),)

    user_id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    digest: Mapped[bool]


class LogState(StrEnum):
    PENDING = "PENDING"  # found; to send (a lease says a worker is sending it now)
    SENT = "SENT"
    # Not sent: no channel or address wanted it when its turn came, or its news went out in
    # another message (a restoration estimate told with the outage itself).
    SKIPPED = "SKIPPED"
    # Not all its addresses took it: every one refused it for good, or some failed at every
    # attempt (``log.MAX_ATTEMPTS``); ``notification_deliveries`` says which went.
    FAILED = "FAILED"


class NotificationLog(Base):
    """One piece of news for one member: unique per member, account, kind and occasion (a
    bill, a due date, an outage, a payment…), so it is recorded, and sent, once."""

    __tablename__ = "notification_log"
    __table_args__ = (
        user_foreign_key(),
        UniqueConstraint("user_id", "account_number", "kind", "occasion"),
        Index("ix_notification_log_cooperative_id_state", "cooperative_id", "state"),
        Index(
            "ix_notification_log_cooperative_id_kind_occasion", "cooperative_id", "kind", "occasion"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int]
    account_number: Mapped[str] = mapped_column(String(ACCOUNT_NUMBER_LENGTH))
    kind: Mapped[NotificationKind] = mapped_column(string_enum(NotificationKind, "kind"))
    occasion: Mapped[str] = mapped_column(String(100))
    facts: Mapped[dict[str, str]] = mapped_column(JSON)  # what the message says
    # An address the payment flow already e-mailed this news to (its receipt, say).
    already_told: Mapped[str | None] = mapped_column(String(320))
    state: Mapped[LogState] = mapped_column(string_enum(LogState, "state"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    next_attempt_at: Mapped[datetime]
    leased_until: Mapped[datetime | None]  # a worker is sending it...
    lease_token: Mapped[str | None] = mapped_column(String(32))  # ...the one holding this token
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))  # never an address


class DeliveryOutcome(StrEnum):
    SENT = "SENT"  # the mail server (or SMS provider) took the message
    REFUSED = "REFUSED"  # refused for good (SMTP 5xx to the recipient): not tried again


class NotificationDelivery(Base):
    """One piece of news gone to one address (alone or in a digest), written as soon as it
    went: a later attempt of the news sends only to the addresses it did not reach."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (UniqueConstraint("log_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    log_id: Mapped[int] = mapped_column(ForeignKey("notification_log.id", ondelete="CASCADE"))
    channel: Mapped[NotificationChannel] = mapped_column(
        string_enum(NotificationChannel, "channel")
    )
    address: Mapped[str] = mapped_column(String(320))
    outcome: Mapped[DeliveryOutcome] = mapped_column(string_enum(DeliveryOutcome, "outcome"))
    at: Mapped[datetime]


class NotificationJob(Base):
    """One co-op's detection job of one family (billing, outages…): when it last ran, which
    worker runs it now, and for outages the CIS feed sequence read up to."""

    __tablename__ = "notification_jobs"

    cooperative_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    family: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_run_at: Mapped[datetime | None]
    leased_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(32))  # the running worker's
    cursor: Mapped[int | None] = mapped_column(BigInteger)
