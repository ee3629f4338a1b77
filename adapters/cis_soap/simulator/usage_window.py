"""What a usage read may ask for: a window the CIS can serve and, in one SOAP call, no more
than ``operations.MAX_USAGE_INTERVALS`` intervals, counted before anything is generated."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.cis_soap.operations import (
    FAULT_INVALID_REQUEST,
    FAULT_RANGE_TOO_LARGE,
    MAX_USAGE_INTERVALS,
    intervals_per_meter,
)
from adapters.errors import CisFault
from adapters.records import IntervalLength

# Instants the CIS serves usage for; beyond them lie nonsense and datetime overflows.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_window(start: datetime, end: datetime) -> None:
    """Refuse (Client.InvalidRequest) a window without offsets, reversed or empty, or
    outside the years 1900-2199."""
    if start.tzinfo is None or end.tzinfo is None:
        raise CisFault(FAULT_INVALID_REQUEST, "start and end must carry a UTC offset")
    for name, instant in (("start", start), ("end", end)):
        if not _EARLIEST <= instant < _LATEST:
            raise CisFault(FAULT_INVALID_REQUEST, f"{name} must be in the years 1900-2199", name)
    if end <= start:
        raise CisFault(FAULT_INVALID_REQUEST, "end must be after start", "end")


def interval_count(meters: int, start: datetime, end: datetime, length: IntervalLength) -> int:
    """``meters`` x the intervals of ``length`` that fit in [start, end), rounded up."""
    return meters * intervals_per_meter(start, end, length)


def check_interval_count(
    meters: int, start: datetime, end: datetime, length: IntervalLength
) -> None:
    """Refuse (Client.RangeTooLarge) a call asking for more than ``MAX_USAGE_INTERVALS``;
    the fault names meterNumbers when fewer meters would do, end when one meter is too many."""
    count = interval_count(meters, start, end, length)
    if count <= MAX_USAGE_INTERVALS:
        return
    one_meter = interval_count(1, start, end, length)
    subject = "meterNumbers" if one_meter <= MAX_USAGE_INTERVALS else "end"
    raise CisFault(
        FAULT_RANGE_TOO_LARGE,
        f"{meters} meters x {one_meter} {length.value} intervals = {count} intervals in one"
        f" call; at most {MAX_USAGE_INTERVALS} are served",
        subject,
    )
