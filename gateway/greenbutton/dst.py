"""ESPI ``LocalTimeParameters`` from an IANA time zone: the standard offset, the daylight
saving offset, and the rules for when daylight saving starts and ends.

ESPI encodes each rule as 32 bits written as 8 hex digits (``DstRuleType``):

=========  ==========================================================
bits       meaning
=========  ==========================================================
0 - 11     seconds into the hour, 0 - 3599
12 - 16    hour, 0 - 23 (local wall-clock time just before the change)
17 - 19    day of the week, 1 - 7 (Monday = 1), 0 when not used
20 - 24    day of the month, 1 - 31, 0 when not used
25 - 27    operator: 0 on the day of the month; 2 - 6 on the first to fifth such weekday
           of the month; 7 on the last such weekday
28 - 31    month, 1 - 12
=========  ==========================================================

``FFFFFFFF`` means no daylight saving. The US rules come out as the Green Button samples
have them: ``360E2000`` (second Sunday of March, 2:00) and ``B40E2000`` (first Sunday of
November, 2:00).

A zone only lists its changes, so the rule is found from them: the changes of the feed's
year are described every way ESPI allows, and the first description that also gives the
changes of the six years after it is the rule (a "last Sunday" and a "fourth Sunday" agree
in some years, never in seven running).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

NO_DAYLIGHT_SAVING = 0xFFFFFFFF
_YEARS_CHECKED = 7  # weekdays fall on every date of a month within seven years
_LAST_OCCURRENCE = 7
_ON_DAY_OF_MONTH = 0


@dataclass(frozen=True, slots=True)
class LocalTimeParameters:
    tz_offset: int  # seconds east of UTC of standard time
    dst_offset: int  # seconds daylight saving adds; 0 without it
    dst_start_rule: int
    dst_end_rule: int

    @staticmethod
    def hex_rule(rule: int) -> str:
        return f"{rule:08X}"


@dataclass(frozen=True, slots=True)
class _Change:
    at: datetime  # UTC, the first instant of the new offset
    before: timedelta  # the offset until then
    after: timedelta

    @property
    def wall_clock(self) -> datetime:
        """The local time the clocks show as they change (2:00 for both US changes)."""
        return (self.at + self.before).replace(tzinfo=None)


@lru_cache(maxsize=64)
def local_time_parameters(zone: ZoneInfo, year: int) -> LocalTimeParameters:
    """The zone's parameters as of ``year``."""
    start, end = _daylight_saving(zone, year)
    if start is None or end is None:
        offset = _offset(zone, datetime(year, 1, 1, tzinfo=UTC))
        return LocalTimeParameters(
            int(offset.total_seconds()), 0, NO_DAYLIGHT_SAVING, NO_DAYLIGHT_SAVING
        )
    later = [_daylight_saving(zone, year + offset) for offset in range(1, _YEARS_CHECKED)]
    return LocalTimeParameters(
        tz_offset=int(start.before.total_seconds()),
        dst_offset=int((start.after - start.before).total_seconds()),
        dst_start_rule=_rule(start, [pair[0] for pair in later]),
        dst_end_rule=_rule(end, [pair[1] for pair in later]),
    )


def rule_date(rule: int, year: int) -> datetime:
    """The local wall-clock time a rule names in ``year`` (the inverse of the encoding)."""
    seconds, hour, weekday = rule & 0xFFF, (rule >> 12) & 0x1F, (rule >> 17) & 7
    day, operator, month = (rule >> 20) & 0x1F, (rule >> 25) & 7, rule >> 28
    if operator == _ON_DAY_OF_MONTH:
        found = date(year, month, day)
    else:
        first = date(year, month, 1)
        first_weekday = first + timedelta(days=(weekday - first.isoweekday()) % 7)
        if operator == _LAST_OCCURRENCE:
            last_day = calendar.monthrange(year, month)[1]
            found = first_weekday + timedelta(weeks=(last_day - first_weekday.day) // 7)
        else:
            found = first_weekday + timedelta(weeks=operator - 2)
    return datetime(found.year, found.month, found.day, hour) + timedelta(seconds=seconds)


def _rule(change: _Change, later: list[_Change | None]) -> int:
    candidates = _descriptions(change.wall_clock)
    for candidate in candidates:
        if all(
            other is not None and rule_date(candidate, other.at.year) == other.wall_clock
            for other in later
        ):
            return candidate
    return candidates[0]  # rules that keep changing: right for the feed's year at least


def _descriptions(wall_clock: datetime) -> list[int]:
    """Every encoding of this one date: its weekday's occurrence, the last occurrence when it
    is one, and the plain day of the month."""
    day = wall_clock.date()
    time_bits = (wall_clock.minute * 60 + wall_clock.second) | wall_clock.hour << 12
    month_bits = day.month << 28
    weekday_bits = day.isoweekday() << 17
    occurrence = (day.day - 1) // 7 + 2  # operators 2-6: first to fifth
    rules = [month_bits | occurrence << 25 | weekday_bits | time_bits]
    if day.day + 7 > calendar.monthrange(day.year, day.month)[1]:
        rules.append(month_bits | _LAST_OCCURRENCE << 25 | weekday_bits | time_bits)
    rules.append(month_bits | _ON_DAY_OF_MONTH << 25 | day.day << 20 | time_bits)
    return rules


def _daylight_saving(zone: ZoneInfo, year: int) -> tuple[_Change | None, _Change | None]:
    """The year's first change to a larger offset and first change back, if any."""
    changes = _changes(zone, year)
    start = next((change for change in changes if change.after > change.before), None)
    end = next((change for change in changes if change.after < change.before), None)
    return start, end


def _changes(zone: ZoneInfo, year: int) -> list[_Change]:
    """The zone's offset changes in ``year``: found day by day, then to the second."""
    changes = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    offset = _offset(zone, day)
    while day.year == year:
        following = day + timedelta(days=1)
        next_offset = _offset(zone, following)
        if next_offset != offset:
            changes.append(
                _Change(_first_instant(zone, day, following, offset), offset, next_offset)
            )
        day, offset = following, next_offset
    return changes


def _first_instant(zone: ZoneInfo, low: datetime, high: datetime, offset: timedelta) -> datetime:
    """The first whole second in (low, high] whose offset is no longer ``offset``."""
    low_second, high_second = int(low.timestamp()), int(high.timestamp())
    while high_second - low_second > 1:
        middle = (low_second + high_second) // 2
        if _offset(zone, datetime.fromtimestamp(middle, UTC)) == offset:
            low_second = middle
        else:
            high_second = middle
    return datetime.fromtimestamp(high_second, UTC)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return offset
