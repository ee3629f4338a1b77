"""Lengths of time as members read them, built from the constants that set them, so a
message never promises a lifetime the code does not keep."""

from __future__ import annotations

from datetime import timedelta

_HOUR = timedelta(hours=1)
_MINUTE = timedelta(minutes=1)


def minutes(length: timedelta) -> str:
    """Whole minutes, as e-mail templates show them: "30"."""
    return str(length // _MINUTE)


def in_words(length: timedelta) -> str:
    """In words: "24 hours", or "30 minutes" when it is not whole hours."""
    if length >= _HOUR and not length % _HOUR:
        return _plural(length // _HOUR, "hour")
    return _plural(length // _MINUTE, "minute")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
