"""Relay-style pages over a list the CIS returned whole: ``first`` rows ``after`` a cursor.

A cursor names the row it points at (its CIS id), not an offset, so a page asked again
after new rows arrived still continues after the same row.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from adapters.records import DateRange
from resolvers.periods import recent_window
from schema.errors import BadUserInput

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 12
MAX_PAGE_SIZE = 100
_PREFIX = "row:"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    rows: list[tuple[str, T]]  # (cursor, row)
    has_next_page: bool
    has_previous_page: bool
    total_count: int | None  # None: read from a recent window, the period was not counted


def cursor_of(key: str) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{key}".encode()).decode()


def key_of(cursor: str) -> str | None:
    """The key ``cursor_of`` made ``cursor`` of; None for any text it did not give out."""
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not decoded.startswith(_PREFIX):
        return None
    key = decoded.removeprefix(_PREFIX)
    return key if cursor_of(key) == cursor else None


def check_page_size(
    first: int | None,
    *,
    default: int = DEFAULT_PAGE_SIZE,
    minimum: int = 0,
    maximum: int = MAX_PAGE_SIZE,
) -> int:
    size = default if first is None else first
    if not minimum <= size <= maximum:
        raise BadUserInput(f"first must be between {minimum} and {maximum}")
    return size


def paginate(
    rows: Sequence[T], key: Callable[[T], str], first: int | None, after: str | None
) -> Page[T]:
    size = check_page_size(first)
    start = 0 if after is None else _position_after(rows, key, after)
    chosen = rows[start : start + size]
    return Page(
        rows=[(cursor_of(key(row)), row) for row in chosen],
        has_next_page=start + size < len(rows),
        has_previous_page=start > 0,
        total_count=len(rows),
    )


async def paginate_period(
    read: Callable[[DateRange], Awaitable[Sequence[T]]],
    key: Callable[[T], str],
    period: DateRange,
    first: int | None,
    after: str | None,
    *,
    recent_first: bool,
) -> Page[T]:
    """The page of the rows ``read`` returns for ``period`` (newest first), read cheaply.

    With ``recent_first`` and no ``after``, the recent window of the period
    (``periods.recent_window``) is read first: the same window for every row owner asking
    this page, so their reads share one CIS call. The window's rows are the newest rows of
    the period, so when it holds more than ``first`` of them the page is its first ``first``
    rows and has a next page; otherwise the whole period is read (one more shared call for
    the owners that need it). Either way the page is the one the whole period gives, except
    that a window page has no ``total_count``: callers pass ``recent_first`` only when the
    total is not asked for.
    """
    size = check_page_size(first)
    if recent_first and after is None:
        window = recent_window(period, size)
        if window != period:
            recent = await read(window)
            if len(recent) > size:
                return Page(
                    rows=[(cursor_of(key(row)), row) for row in recent[:size]],
                    has_next_page=True,
                    has_previous_page=False,
                    total_count=None,
                )
    return paginate(await read(period), key, first, after)


def _position_after(rows: Sequence[T], key: Callable[[T], str], after: str) -> int:
    wanted = key_of(after)
    for position, row in enumerate(rows):
        if key(row) == wanted:
            return position + 1
    raise BadUserInput("after is not a cursor of this list (in this period)")
