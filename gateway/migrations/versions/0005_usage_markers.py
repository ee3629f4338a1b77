"""Usage markers: a member's named day ("new heat pump") or range of days ("vacation") on
one of their accounts, with a note.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "usage_markers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.String(64), nullable=False),
        sa.Column("account_number", sa.String(32), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("note", sa.String(1000), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usage_markers"),
        sa.ForeignKeyConstraint(
            ["user_id", "cooperative_id"],
            ["users.id", "users.cooperative_id"],
            name="fk_usage_markers_user_id_cooperative_id_users",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "last_day IS NULL OR last_day >= first_day", name="ck_usage_markers_day_order"
        ),
    )
    op.create_index(
        "ix_usage_markers_cooperative_id_user_id_account_number",
        "usage_markers",
        ["cooperative_id", "user_id", "account_number"],
    )


def downgrade() -> None:
    op.drop_table("usage_markers")
