"""Member identity: temporary passwords, pass phrases, lockout, two-factor, personal access
tokens, e-mailed one-time tokens, recovery codes and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:00:00+00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_USER_COLUMNS: tuple[sa.Column[Any], ...] = (
    sa.Column("temporary_password_expires_at", sa.DateTime(timezone=True), nullable=True),
    # Existing users chose their passwords: false for them.
    sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("pass_phrase_hash", sa.String(255), nullable=True),
    sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("failed_logins_since", sa.DateTime(timezone=True), nullable=True),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("totp_secret", sa.String(64), nullable=True),
    sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("totp_last_step", sa.Integer(), nullable=True),
)


def _owned_by_user(table: str) -> tuple[sa.Column[int], sa.Column[str], sa.ForeignKeyConstraint]:
    return (
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id", "cooperative_id"],
            ["users.id", "users.cooperative_id"],
            name=f"fk_{table}_user_id_cooperative_id_users",
            ondelete="CASCADE",
        ),
    )


def _one_of(column: str, table: str, *values: str) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{table}_{column}")


def upgrade() -> None:
    # Batch mode: SQLite cannot add a NOT NULL column with a default otherwise on every version.
    with op.batch_alter_table("users") as users:
        for column in _USER_COLUMNS:
            users.add_column(column)
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        *_owned_by_user("access_tokens"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_access_tokens_token_hash"),
        _one_of("scope", "access_tokens", "READ_ONLY", "READ_WRITE"),
    )
    op.create_index("ix_access_tokens_user_id", "access_tokens", ["user_id"])
    op.create_table(
        "one_time_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        *_owned_by_user("one_time_tokens"),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("new_email", sa.String(320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_one_time_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_one_time_tokens_token_hash"),
        _one_of("purpose", "one_time_tokens", "PASSWORD_RESET", "EMAIL_CHANGE"),
    )
    op.create_index("ix_one_time_tokens_user_id", "one_time_tokens", ["user_id"])
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        *_owned_by_user("recovery_codes"),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_codes"),
        sa.UniqueConstraint("user_id", "code_hash", name="uq_recovery_codes_user_id_code_hash"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("account_number", sa.String(32), nullable=True),
        sa.Column("client_address", sa.String(64), nullable=True),
        sa.Column("detail", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_cooperative_id_at", "audit_events", ["cooperative_id", "at"])
    op.create_index(
        "ix_audit_events_cooperative_id_user_id", "audit_events", ["cooperative_id", "user_id"]
    )


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("recovery_codes")
    op.drop_table("one_time_tokens")
    op.drop_table("access_tokens")
    with op.batch_alter_table("users") as users:
        for column in reversed(_USER_COLUMNS):
            users.drop_column(column.name)
