"""Shared helpers for the simulator backend's tests: a hand-moved clock and small co-ops."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.cis_soap.simulator.backend import SimulatedCis

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 18, 10, 37, tzinfo=CHICAGO)
SMALL_COOP = 150  # members: enough variety, quick to build


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def small_cis(
    *, seed: int = 1, database_path: Path | None = None, clock: Clock | None = None
) -> SimulatedCis:
    return SimulatedCis(
        seed=seed, members=SMALL_COOP, database_path=database_path, clock=clock or Clock()
    )


def midnight(day: date) -> datetime:
    """The start of a local day of the co-op."""
    return datetime.combine(day, time(), CHICAGO)


def next_day(day: date) -> date:
    return day + timedelta(days=1)
