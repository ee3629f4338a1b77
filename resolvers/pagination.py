"""Relay-style pages over a list the CIS returned whole: ``first`` rows ``after`` a cursor.

A cursor names the row it points at (its CIS id), not an offset, so a page asked again
after new rows arrived still continues after the same row.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

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
    total_count: int


def cursor_of(key: str) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{key}".encode()).decode()


def check_page_size(first: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if first is None else first
    if not 0 <= size <= MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE_SIZE}")
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


def _position_after(rows: Sequence[T], key: Callable[[T], str], after: str) -> int:
    try:
        decoded = base64.urlsafe_b64decode(after.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        decoded = ""
    wanted = decoded.removeprefix(_PREFIX) if decoded.startswith(_PREFIX) else None
    for position, row in enumerate(rows):
        if key(row) == wanted:
            return position + 1
    raise BadUserInput("after is not a cursor of this list (in this period)")
