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
from datetime import date, timedelta

from gateway.context import RequestContext
from gateway.store.usage_markers import UsageMarker
from resolvers.audit import audit_account_read
from resolvers.periods import years_before
from resolvers.usage_markers import MAX_PERIOD_DAYS
from resolvers.usage_periods import Days, PeriodFigures, period_by_quarters
from schema.errors import BadUserInput

DEFAULT_DAYS = 30
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ComparedDays:
    """A marker's days (``last`` None for a point marker) and the days compared each side of
    a point marker."""

    first: date
    last: date | None
    days: int

    @property
    def before(self) -> Days:
        if self.last is None:
            return self.first - timedelta(days=self.days), self.first - ONE_DAY
        return self.first - (self.last - self.first + ONE_DAY), self.first - ONE_DAY

    @property
    def marked(self) -> Days:
        if self.last is None:
            return self.first + ONE_DAY, self.first + timedelta(days=self.days)
        return self.first, self.last

    def year_earlier(self) -> ComparedDays:
        """The marker moved a year back (28 February for a 29th), its windows made anew from
        it: moved one by one, the days before a 29 February would end on the 28th that
        stands for it."""
        last = None if self.last is None else years_before(self.last, 1)
        return ComparedDays(years_before(self.first, 1), last, self.days)


def compared_days(marker: UsageMarker, days: int) -> ComparedDays:
    """``days`` counts for point markers only; BAD_USER_INPUT unless 1 to ``MAX_PERIOD_DAYS``."""
    if not 1 <= days <= MAX_PERIOD_DAYS:
        raise BadUserInput(f"days must be between 1 and {MAX_PERIOD_DAYS}")
    return ComparedDays(marker.first_day, marker.last_day, days)


async def compared_figures(
    context: RequestContext, account_number: str, days: ComparedDays
) -> tuple[PeriodFigures, PeriodFigures]:
    """The usage of both sides. Staff may mark any account, so reading another's usage is a
    staff read and audited first, as ``Query.node`` audits one."""
    await audit_account_read(context, account_number)
    before, marked = await asyncio.gather(
        period_by_quarters(context, account_number, *days.before),
        period_by_quarters(context, account_number, *days.marked),
    )
    return before, marked
