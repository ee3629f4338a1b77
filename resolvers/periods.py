"""The periods fields read: local days of the co-op, defaults, and the limits on ranges."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from adapters.records import DateRange
from gateway.context import RequestContext
from schema.errors import BadUserInput

HISTORY_YEARS = 2  # bills, payments and outage history default to the last 24 months
MAX_HISTORY_YEARS = 10
RECENT_DAYS_PER_ROW = 45  # bills and payments come about monthly: n of them span ~n * 45 days


def local_today(context: RequestContext) -> date:
    return context.cooperative.local_date(context.received_at)


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def month_start(day: date, months_later: int = 0) -> date:
    """The first day of the month ``months_later`` months after ``day``'s (before it, if
    negative): ``month_start(day, 1)`` is the first day of the next month."""
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


def history_period(context: RequestContext, start: date | None, end: date | None) -> DateRange:
    """``[start, end]`` of local dates, by default the last 24 months up to today.

    Every field asking the default period asks the same one, so such reads of many accounts
    share one CIS call.
    """
    end = local_today(context) if end is None else end
    start = years_before(end, HISTORY_YEARS) + timedelta(days=1) if start is None else start
    check_order(start, end)
    if start < years_before(end, MAX_HISTORY_YEARS):
        raise BadUserInput(f"from and to may be at most {MAX_HISTORY_YEARS} years apart")
    return DateRange(start, end)


def recent_window(period: DateRange, size: int) -> DateRange:
    """The last ``(max(size, 1) + 1) * 45`` days of ``period`` (all of it, if shorter).

    It depends only on the period and the page size, so every account asking the same first
    page of the same period asks the same window.
    """
    days = (max(size, 1) + 1) * RECENT_DAYS_PER_ROW
    return DateRange(max(period.start, period.end - timedelta(days=days - 1)), period.end)


def check_order(start: date, end: date) -> None:
    if start > end:
        raise BadUserInput("from must not be after to")


def local_midnight(context: RequestContext, day: date) -> datetime:
    """The instant the co-op's local ``day`` begins (midnight exists on DST days in the US)."""
    return datetime.combine(day, time(), context.cooperative.time_zone)
