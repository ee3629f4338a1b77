"""What a usage marker compares: the days before it against the days it marks, and the same
days a year earlier.

A point marker compares ``days`` days before its day with as many after it; its own day is
in neither (the change happened at some hour of it). A range marker compares its own days
with the equal range just before them. Days are read in calendar quarters
(``period_by_quarters``), so a list of markers' comparisons shares its CIS calls.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from gateway.context import RequestContext
from gateway.store.usage_markers import UsageMarker
from resolvers.usage_markers import MAX_PERIOD_DAYS
from resolvers.usage_periods import Days, PeriodFigures, period_by_quarters, year_earlier
from schema.errors import BadUserInput

DEFAULT_DAYS = 30
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ComparedDays:
    before: Days
    marked: Days

    def year_earlier(self) -> ComparedDays:
        return ComparedDays(year_earlier(*self.before), year_earlier(*self.marked))


def compared_days(marker: UsageMarker, days: int) -> ComparedDays:
    """``days`` counts for point markers only; BAD_USER_INPUT unless 1 to ``MAX_PERIOD_DAYS``."""
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise BadUserInput(f"days must be between 1 and {MAX_PERIOD_DAYS}")
    if marker.last_day is None:
        at, span = marker.first_day, timedelta(days=days)
        return ComparedDays((at - span, at - ONE_DAY), (at + ONE_DAY, at + span))
    first, last = marker.first_day, marker.last_day
    length = last - first + ONE_DAY
    return ComparedDays((first - length, first - ONE_DAY), (first, last))


async def compared_figures(
    context: RequestContext, account_number: str, days: ComparedDays
) -> tuple[PeriodFigures, PeriodFigures]:
    before, marked = await asyncio.gather(
        period_by_quarters(context, account_number, *days.before),
        period_by_quarters(context, account_number, *days.marked),
    )
    return before, marked
