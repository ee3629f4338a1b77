"""ESPI daylight-saving rules from IANA zones: known zones' values written out (the Green
Button samples' US ones, the EU's, a southern zone's, a quarter-hour zone's), and rules that
name the real changes of the years after."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.greenbutton.dst import LocalTimeParameters, local_time_parameters, rule_date


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        # The Green Button samples' US rules: second Sunday of March and first of November.
        ("America/Chicago", (-21600, 3600, "360E2000", "B40E2000")),
        ("America/New_York", (-18000, 3600, "360E2000", "B40E2000")),
        # The EU's: last Sunday of March at 2:00 and of October at 3:00 (summer time).
        ("Europe/Berlin", (3600, 3600, "3E0E2000", "AE0E3000")),
        ("America/Phoenix", (-25200, 0, "FFFFFFFF", "FFFFFFFF")),
        # Southern: first Sunday of October at 2:00, first of April at 3:00 (summer time).
        ("Australia/Sydney", (36000, 3600, "A40E2000", "440E3000")),
        # Last Sunday of March at 1:00 (GMT) and of October at 2:00 (BST).
        ("Europe/London", (0, 3600, "3E0E1000", "AE0E2000")),
        # A zone a quarter-hour off: last Sunday of September at 2:45, first of April at 3:45.
        ("Pacific/Chatham", (45900, 3600, "9E0E2A8C", "440E3A8C")),
    ],
)
def test_rules_of_known_zones(zone: str, expected: tuple[int, int, str, str]) -> None:
    parameters = local_time_parameters(ZoneInfo(zone), 2025)
    assert (
        parameters.tz_offset,
        parameters.dst_offset,
        LocalTimeParameters.hex_rule(parameters.dst_start_rule),
        LocalTimeParameters.hex_rule(parameters.dst_end_rule),
    ) == expected


@pytest.mark.parametrize(
    "zone", ["America/Chicago", "Europe/London", "Australia/Sydney", "Pacific/Chatham"]
)
def test_the_rules_name_each_years_changes(zone: str) -> None:
    info = ZoneInfo(zone)
    parameters = local_time_parameters(info, 2026)
    for year in range(2026, 2036):
        for rule, sign in ((parameters.dst_start_rule, 1), (parameters.dst_end_rule, -1)):
            wall_clock = rule_date(rule, year)
            # The clocks change at that wall-clock time: a second before, the old offset.
            standard = timedelta(seconds=parameters.tz_offset)
            before = standard if sign > 0 else standard + timedelta(seconds=parameters.dst_offset)
            instant = (wall_clock - before).replace(tzinfo=UTC)
            offsets = [
                (instant + timedelta(seconds=delta)).astimezone(info).utcoffset()
                for delta in (-1, 0)
            ]
            assert offsets[1] - offsets[0] == sign * timedelta(seconds=parameters.dst_offset)
