"""Users, the CIS accounts each may see, and login sessions; every row belongs to one co-op.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
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


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("cooperative_id", "email", name="uq_users_cooperative_id_email"),
        sa.UniqueConstraint("id", "cooperative_id", name="uq_users_id_cooperative_id"),
        sa.CheckConstraint("email = lower(email)", name="ck_users_email_lowercase"),
        _one_of("role", "users", "MEMBER", "STAFF"),
    )
    op.create_table(
        "user_accounts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "account_number", name="pk_user_accounts"),
        sa.UniqueConstraint(
            "cooperative_id",
            "account_number",
            "user_id",
            name="uq_user_accounts_cooperative_id_account_number_user_id",
        ),
        _user_foreign_key("user_accounts"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("client_kind", sa.String(16), nullable=False),
        sa.Column("user_agent", sa.String(512), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_sessions_token_hash"),
        _user_foreign_key("sessions"),
        _one_of("client_kind", "sessions", "WEB", "MOBILE"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_table("user_accounts")
    op.drop_table("users")
