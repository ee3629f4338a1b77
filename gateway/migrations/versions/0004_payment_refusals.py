"""Payments the CIS refuses after the charge: the allocation's refusal, and the states of a
payment given back (REFUNDING, REFUNDED) or left for the co-op's staff (NEEDS_ATTENTION) until
they settle it (SETTLED).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("RECORDED", "CHARGED", "POSTED", "DECLINED", "FAILED")
_NEW_STATES = ("REFUNDING", "REFUNDED", "NEEDS_ATTENTION", "SETTLED")


def _state_check(states: Sequence[str]) -> str:
    return "state IN ({})".format(", ".join(f"'{state}'" for state in states))


def _set_states(states: Sequence[str]) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint("ck_payments_state", type_="check")
        batch.create_check_constraint("ck_payments_state", _state_check(states))


def upgrade() -> None:
    _set_states(_STATES + _NEW_STATES)
    with op.batch_alter_table("payment_allocations") as batch:
        batch.add_column(sa.Column("refusal", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_allocations") as batch:
        batch.drop_column("refusal")
    _set_states(_STATES)
