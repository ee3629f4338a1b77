"""Billing cycles: periods of local days that start on an account's read day each month."""

from __future__ import annotations

from datetime import date, timedelta

HISTORY_MONTHS = 24  # bills kept per account
BILL_DAYS_AFTER_PERIOD = 2  # a period is billed two days after its last day
DAYS_TO_PAY = 20  # due date, counted from the bill date


def period_index(read_day: int, day: date) -> int:
    """The billing period holding ``day``, numbered by the month it starts in."""
    months = day.year * 12 + day.month - 1
    return months if day.day >= read_day else months - 1


def period_bounds(read_day: int, index: int) -> tuple[date, date]:
    """First and last local day of a billing period."""
    start = date(index // 12, index % 12 + 1, read_day)
    following = date((index + 1) // 12, (index + 1) % 12 + 1, read_day)
    return start, following - timedelta(days=1)


def bill_date(read_day: int, index: int) -> date:
    return period_bounds(read_day, index)[1] + timedelta(days=BILL_DAYS_AFTER_PERIOD)


def last_billed_period(read_day: int, today: date) -> int:
    """The newest period already billed on ``today``."""
    index = period_index(read_day, today) - 1
    return index if bill_date(read_day, index) <= today else index - 1
