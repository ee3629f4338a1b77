"""Usage markers: what a member noted on one of their accounts' usage, on a day ("new heat
pump installed") or over a range of days ("vacation").

Days, not instants: usage is compared in whole local days of the co-op, and a marker dated
by day means the same whatever zone the member's app runs in (SmartHub's markers are days).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.store.models import ACCOUNT_NUMBER_LENGTH, Base, user_foreign_key, utc_now

NAME_LENGTH = 80
NOTE_LENGTH = 1000


class UsageMarker(Base):
    """A point marker has ``first_day`` only (usage changed from that day on); a range marker
    covers ``first_day`` to ``last_day``, both included."""

    __tablename__ = "usage_markers"
    __table_args__ = (
        user_foreign_key(),
        CheckConstraint("last_day IS NULL OR last_day >= first_day", name="day_order"),
        # What every read asks: one login's markers on some accounts (and the cascade from
        # the login, by its leading columns).
        Index(
            "ix_usage_markers_cooperative_id_user_id_account_number",
            "cooperative_id",
            "user_id",
            "account_number",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int]
    cooperative_id: Mapped[str] = mapped_column(String(64))
    account_number: Mapped[str] = mapped_column(String(ACCOUNT_NUMBER_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    first_day: Mapped[date]
    last_day: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
