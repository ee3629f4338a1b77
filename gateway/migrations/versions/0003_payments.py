"""Payments: stored payment methods, payments and their allocations to accounts, autopay.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:00:00+00:00
"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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
        "payment_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("token", sa.String(128), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("brand", sa.String(32), nullable=True),
        sa.Column("last4", sa.String(4), nullable=False),
        sa.Column("expiry_month", sa.Integer(), nullable=True),
        sa.Column("expiry_year", sa.Integer(), nullable=True),
        sa.Column("nickname", sa.String(60), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _instant("created_at"),
        _instant("removed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payment_methods"),
        sa.UniqueConstraint(
            "cooperative_id", "token", name="uq_payment_methods_cooperative_id_token"
        ),
        _user_foreign_key("payment_methods"),
        _one_of("kind", "payment_methods", "CARD", "BANK_ACCOUNT"),
    )
    op.create_index("ix_payment_methods_user_id", "payment_methods", ["user_id"])
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("method_token", sa.String(128), nullable=False),
        sa.Column("method_kind", sa.String(16), nullable=False),
        sa.Column("method_description", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("charge_id", sa.String(64), nullable=True),
        sa.Column("decline_reason", sa.String(32), nullable=True),
        sa.Column("decline_message", sa.String(200), nullable=True),
        _instant("created_at"),
        _instant("updated_at"),
        _instant("next_attempt_at"),
        _instant("leased_until", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("reference", name="uq_payments_reference"),
        sa.UniqueConstraint(
            "cooperative_id",
            "user_id",
            "idempotency_key",
            name="uq_payments_cooperative_id_user_id_idempotency_key",
        ),
        _user_foreign_key("payments"),
        _one_of("state", "payments", "RECORDED", "CHARGED", "POSTED", "DECLINED", "FAILED"),
        _one_of("method_kind", "payments", "CARD", "BANK_ACCOUNT"),
    )
    op.create_index("ix_payments_state_next_attempt_at", "payments", ["state", "next_attempt_at"])
    op.create_table(
        "payment_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("external_reference", sa.String(48), nullable=False),
        sa.Column("cis_payment_id", sa.String(64), nullable=True),
        _instant("posted_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_payment_allocations"),
        sa.UniqueConstraint("external_reference", name="uq_payment_allocations_external_reference"),
        sa.UniqueConstraint(
            "payment_id",
            "account_number",
            name="uq_payment_allocations_payment_id_account_number",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name="fk_payment_allocations_payment_id_payments",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_payment_allocations_account_number", "payment_allocations", ["account_number"]
    )

    op.create_table(
        "autopay_enrollments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("payment_method_id", sa.Integer(), nullable=False),
        sa.Column("days_before_due", sa.Integer(), nullable=False),
        sa.Column("max_amount", sa.BigInteger(), nullable=True),
        _instant("created_at"),
        _instant("leased_until", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_autopay_enrollments"),
        sa.UniqueConstraint(
            "cooperative_id",
            "account_number",
            name="uq_autopay_enrollments_cooperative_id_account_number",
        ),
        _user_foreign_key("autopay_enrollments"),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["payment_methods.id"],
            name="fk_autopay_enrollments_payment_method_id_payment_methods",
        ),
    )
    op.create_index("ix_autopay_enrollments_user_id", "autopay_enrollments", ["user_id"])
    op.create_table(
        "autopay_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("bill_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("draft_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        _instant("reminded_at", nullable=True),
        _instant("drafted_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_autopay_drafts"),
        sa.UniqueConstraint(
            "cooperative_id",
            "account_number",
            "bill_id",
            name="uq_autopay_drafts_cooperative_id_account_number_bill_id",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name="fk_autopay_drafts_payment_id_payments"
        ),
        _one_of("state", "autopay_drafts", "SCHEDULED", "DRAFTED", "SKIPPED"),
    )


def downgrade() -> None:
    op.drop_table("autopay_drafts")
    op.drop_table("autopay_enrollments")
    op.drop_table("payment_allocations")
    op.drop_table("payments")
    op.drop_table("payment_methods")
