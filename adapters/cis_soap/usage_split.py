"""How many meters one usage call may carry, so that no call asks for more intervals than
the CIS serves (``operations.MAX_USAGE_INTERVALS``, counted as the CIS counts them)."""

from __future__ import annotations

from datetime import datetime

from adapters.cis_soap.operations import (
    FAULT_RANGE_TOO_LARGE,
    MAX_USAGE_INTERVALS,
    intervals_per_meter,
)
from adapters.errors import CisFault
from adapters.records import IntervalLength


def meters_per_call(
    start: datetime, end: datetime, length: IntervalLength, max_batch_size: int
) -> int:
    """The most meters one call may carry (at least 1, at most ``max_batch_size``).

    Raises ``CisFault`` (Client.RangeTooLarge) when one meter alone would be too many.
    """
    per_meter = intervals_per_meter(start, end, length)
    if per_meter > MAX_USAGE_INTERVALS:
        raise CisFault(
            FAULT_RANGE_TOO_LARGE,
            f"{per_meter} {length.value} intervals for one meter; the CIS serves at most"
            f" {MAX_USAGE_INTERVALS} per call: ask for a shorter window",
            "end",
        )
    # An empty or reversed window: sent as it is, for the CIS to refuse.
    return min(max_batch_size, MAX_USAGE_INTERVALS // max(per_meter, 1))
