"""What a download asks for: ``?from=&to=&resolution=`` read and checked.

``from`` and ``to`` are the co-op's local days (ISO dates), both included: by default the
last 30 days up to today, at most 366 days, within the years 1970-2199. ``resolution`` is
``FIFTEEN_MINUTES`` (the default: the finest interval the CIS contract serves), ``HOURLY``
or ``DAILY``, the intervals of ``Account.usage`` of the same name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from gateway.context import RequestContext
from resolvers.periods import check_order, local_today
from resolvers.usage import Resolution
from schema.errors import BadUserInput

DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST = date(1970, 1, 1)  # ESPI times are seconds since 1970
LATEST = date(2199, 12, 31)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")  # in a file name of a Content-Disposition header
INTERVAL_SECONDS: Final = {
    Resolution.FIFTEEN_MINUTES: 900,
    Resolution.HOURLY: 3600,
    Resolution.DAILY: 86400,
}


@dataclass(frozen=True, slots=True)
class Export:
    """An account's usage over the local days [first, last] at one resolution."""

    account_number: str
    first: date
    last: date
    resolution: Resolution

    @property
    def interval_seconds(self) -> int:
        return INTERVAL_SECONDS[self.resolution]

    @property
    def name(self) -> str:
        """A file name without its extension."""
        return f"usage-{_UNSAFE.sub('_', self.account_number)}-{self.first}-{self.last}"


def export_of(context: RequestContext, account_number: str, query: Mapping[str, str]) -> Export:
    """The export ``query`` asks for; BAD_USER_INPUT when it asks for something unservable."""
    resolution = _resolution(query.get("resolution"))
    last = _date(query, "to") or local_today(context)
    first = _date(query, "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    check_order(first, last)
    if (last - first).days + 1 > MAX_DAYS:
        raise BadUserInput(f"from and to may span at most {MAX_DAYS} days")
    return Export(account_number, first, last, resolution)


def _resolution(text: str | None) -> Resolution:
    if text is None:
        return Resolution.FIFTEEN_MINUTES
    choices = [resolution.value for resolution in INTERVAL_SECONDS]
    if text not in choices:
        raise BadUserInput(f"resolution must be one of {', '.join(choices)}")
    return Resolution(text)


def _date(query: Mapping[str, str], name: str) -> date | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadUserInput(f"{name} must be a date such as 2026-03-08") from None
    if not EARLIEST <= day <= LATEST:
        raise BadUserInput(f"{name} must be in the years {EARLIEST.year}-{LATEST.year}")
    return day
