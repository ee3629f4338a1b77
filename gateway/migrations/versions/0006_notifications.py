"""Notifications: members' contacts (verified e-mail and SMS addresses) and their codes,
preferences per account and kind, the digest choice, the notification log (each piece of
news once) with its deliveries per address, and the worker's detection jobs with the outage
feed's cursor.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 00:00:00+00:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (
    "BILL_READY",
    "DUE_SOON",
    "PAST_DUE",
    "PAYMENT_RECEIVED",
    "PAYMENT_DECLINED",
    "AUTOPAY_UPCOMING",
    "AUTOPAY_DONE",
    "OUTAGE_REPORTED",
    "ETR_CHANGED",
    "POWER_RESTORED",
    "USAGE_ALERT",
)


def _user_foreign_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id", "cooperative_id"],
        ["users.id", "users.cooperative_id"],
        name=f"fk_{table}_user_id_cooperative_id_users",
        ondelete="CASCADE",
    )


def _one_of(column: str, table: str, *values: str) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}")


def _instant(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "notification_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        _instant("created_at"),
        _instant("verified_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notification_contacts"),
        sa.UniqueConstraint(
            "user_id",
            "channel",
            "address",
            "account_number",
            name="uq_notification_contacts_user_id_channel_address_account_number",
        ),
        _user_foreign_key("notification_contacts"),
        _one_of("channel", "notification_contacts", "EMAIL", "SMS"),
    )
    op.create_table(
        "notification_codes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(255), nullable=True),
        _instant("sent_at", nullable=True),
        _instant("expires_at", nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("codes_today", sa.Integer(), nullable=False),
        sa.Column("tries_today", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "channel", "address", name="pk_notification_codes"),
        _user_foreign_key("notification_codes"),
        _one_of("channel", "notification_codes", "EMAIL", "SMS"),
    )
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False),
        sa.Column("sms", sa.Boolean(), nullable=False),
        sa.Column("days_before", sa.Integer(), nullable=True),
        sa.Column("threshold_kwh", sa.BigInteger(), nullable=True),
        sa.Column("threshold_cost", sa.BigInteger(), nullable=True),
        _instant("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_notification_preferences"),
        sa.UniqueConstraint(
            "user_id",
            "account_number",
            "kind",
            name="uq_notification_preferences_user_id_account_number_kind",
        ),
        _user_foreign_key("notification_preferences"),
        _one_of("kind", "notification_preferences", *_KINDS),
    )
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_notification_settings"),
        _user_foreign_key("notification_settings"),
    )
    op.create_table(
        "notification_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("occasion", sa.String(100), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("already_told", sa.String(320), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        _instant("created_at"),
        _instant("next_attempt_at"),
        _instant("leased_until", nullable=True),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _instant("sent_at", nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notification_log"),
        sa.UniqueConstraint(
            "user_id",
            "account_number",
            "kind",
            "occasion",
            name="uq_notification_log_user_id_account_number_kind_occasion",
        ),
        _user_foreign_key("notification_log"),
        _one_of("kind", "notification_log", *_KINDS),
        _one_of("state", "notification_log", "PENDING", "SENT", "SKIPPED", "FAILED"),
    )
    op.create_index(
        "ix_notification_log_cooperative_id_state", "notification_log", ["cooperative_id", "state"]
    )
    op.create_index(
        "ix_notification_log_cooperative_id_kind_occasion",
        "notification_log",
        ["cooperative_id", "kind", "occasion"],
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("log_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        _instant("at"),
        sa.PrimaryKeyConstraint("id", name="pk_notification_deliveries"),
        sa.UniqueConstraint(
            "log_id",
            "channel",
            "address",
            name="uq_notification_deliveries_log_id_channel_address",
        ),
        sa.ForeignKeyConstraint(
            ["log_id"],
            ["notification_log.id"],
            name="fk_notification_deliveries_log_id_notification_log",
            ondelete="CASCADE",
        ),
        _one_of("channel", "notification_deliveries", "EMAIL", "SMS"),
        _one_of("outcome", "notification_deliveries", "SENT", "REFUSED"),
    )
    op.create_table(
        "notification_jobs",
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("family", sa.String(16), nullable=False),
        _instant("last_run_at", nullable=True),
        _instant("leased_until", nullable=True),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("cursor", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("cooperative_id", "family", name="pk_notification_jobs"),
    )


def downgrade() -> None:
    op.drop_table("notification_jobs")
    op.drop_table("notification_deliveries")
    op.drop_index("ix_notification_log_cooperative_id_kind_occasion", "notification_log")
    op.drop_index("ix_notification_log_cooperative_id_state", "notification_log")
    op.drop_table("notification_log")
    op.drop_table("notification_settings")
    op.drop_table("notification_preferences")
    op.drop_table("notification_codes")
    op.drop_table("notification_contacts")
