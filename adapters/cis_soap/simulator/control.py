"""Run-time knobs of the CIS simulator, and the calls it has counted.

Knobs start from ``SimulatorSettings`` and change through ``POST /_sim/control``. Outages:

- ``hang``: SOAP calls are accepted and left unanswered until the outage ends (the
  control answer's ``held_calls`` says how many wait);
- ``refuse``: the SOAP port stops listening, so connections are refused, and listens again
  when the outage ends. The control endpoints then answer only on the runner's optional
  control port, so a refusal is usually given a duration (``outage_seconds``) after which
  it ends by itself.

Injected failures are drawn from an RNG seeded by the settings, one draw per SOAP call, so
a given sequence of calls always meets the same failures.

``outage_change`` reads the body of ``POST /_sim/outages/{id}``, which moves one of the
co-op's power outages on (new ETR, crew dispatched, restored) as tests and demos need.
"""

from __future__ import annotations

import asyncio
import enum
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol, TypeVar, cast

from adapters.cis_soap.operations import MAX_BATCH_SIZE
from adapters.records import CrewStatus, OutageStatus

Outage = Literal["none", "refuse", "hang"]
OUTAGES: tuple[Outage, ...] = ("none", "refuse", "hang")

DEFAULT_USER_ID = "gateway"
DEFAULT_PASSWORD = "gateway-secret"  # noqa: S105 - the simulator's well-known test credential


@dataclass(frozen=True, slots=True)
class SimulatorSettings:
    """What the simulator starts with; the knobs among them change at run time."""

    seed: int = 0
    user_id: str = DEFAULT_USER_ID
    password: str = field(default=DEFAULT_PASSWORD, repr=False)
    latency_ms: float = 0.0
    latency_per_item_ms: float = 0.0
    fault_rate: float = 0.0
    max_batch_size: int = MAX_BATCH_SIZE
    max_request_bytes: int = 4 * 1024 * 1024

    def __post_init__(self) -> None:
        for knob in ("latency_ms", "latency_per_item_ms", "fault_rate", "max_batch_size"):
            _VALIDATORS[knob](getattr(self, knob))
        if self.max_request_bytes < 1:
            raise ControlError("max_request_bytes must be positive")


class ControlError(ValueError):
    """A control update the simulator cannot apply; nothing of it was applied."""


class Failure(enum.Enum):
    SOAP_FAULT = "soap-fault"  # a SOAP Fault Server.Unavailable
    HTTP_ERROR = "http-error"  # an HTTP 500 whose body is not SOAP


class Listener(Protocol):
    """The SOAP port of a running server, as the ``refuse`` outage closes and re-opens it."""

    async def refuse(self) -> None: ...

    async def restore(self) -> None: ...


@dataclass(slots=True)
class OperationStats:
    calls: int = 0
    items: int = 0
    faults: int = 0


def _number(name: str, value: object, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise ControlError(f"{name} must be a number")
    if not low <= value <= high:
        raise ControlError(f"{name} must be in [{low}, {high}]")
    return float(value)


def _outage(value: object) -> Outage:
    for outage in OUTAGES:
        if value == outage:
            return outage
    raise ControlError(f"outage must be one of {', '.join(OUTAGES)}")


def _batch_size(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ControlError("max_batch_size must be a positive integer")
    return value


def _operations(value: object) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise ControlError("fault_operations must be a list of operation names ([] for all)")
    return frozenset(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ControlError("reset_stats must be true or false")
    return value


_VALIDATORS = {
    "latency_ms": lambda value: _number("latency_ms", value, 0.0),
    "latency_per_item_ms": lambda value: _number("latency_per_item_ms", value, 0.0),
    "fault_rate": lambda value: _number("fault_rate", value, 0.0, 1.0),
    # Faults only in these operations (e.g. ["ProcessPaymentTransactions"]); [] for all.
    "fault_operations": _operations,
    "outage": _outage,
    "outage_seconds": lambda value: _number("outage_seconds", value, 0.0),
    "max_batch_size": _batch_size,
    "reset_stats": _flag,
}


class Controls:
    """The simulator's current knobs, outage and statistics (one per running app)."""

    def __init__(self, settings: SimulatorSettings) -> None:
        self.settings = settings
        self.latency_ms = settings.latency_ms
        self.latency_per_item_ms = settings.latency_per_item_ms
        self.fault_rate = settings.fault_rate
        self.fault_operations: frozenset[str] = frozenset()
        self.max_batch_size = settings.max_batch_size
        self.outage: Outage = "none"
        self.listener: Listener | None = None  # set by the runner; ``refuse`` needs it
        self._outage_ends_at: float | None = None
        self._outage_timer: asyncio.Task[None] | None = None
        self._answering = asyncio.Event()
        self._answering.set()
        self.held_calls = 0  # SOAP calls waiting for a hang to end
        self._rng = random.Random(settings.seed)  # noqa: S311 - reproducible, not secret
        self.stats: dict[str, OperationStats] = {}
        self.stats_since = datetime.now(UTC)

    async def apply(self, update: Mapping[str, object]) -> None:
        """Apply a partial update; an invalid one raises ``ControlError`` and changes nothing."""
        unknown = sorted(set(update) - set(_VALIDATORS))
        if unknown:
            raise ControlError(f"unknown settings: {', '.join(unknown)}")
        values = {name: _VALIDATORS[name](value) for name, value in update.items()}
        outage = cast(Outage | None, values.get("outage"))
        seconds = cast(float | None, values.get("outage_seconds"))
        if seconds is not None and outage in (None, "none"):
            raise ControlError('outage_seconds goes with outage "refuse" or "hang"')
        if outage == "refuse" and self.listener is None:
            raise ControlError('outage "refuse" needs the runner, which owns the listening port')
        self.latency_ms = cast(float, values.get("latency_ms", self.latency_ms))
        self.latency_per_item_ms = cast(
            float, values.get("latency_per_item_ms", self.latency_per_item_ms)
        )
        self.fault_rate = cast(float, values.get("fault_rate", self.fault_rate))
        self.fault_operations = cast(
            frozenset[str], values.get("fault_operations", self.fault_operations)
        )
        self.max_batch_size = cast(int, values.get("max_batch_size", self.max_batch_size))
        if values.get("reset_stats"):
            self.reset_stats()
        if outage is not None:
            await self._set_outage(outage, seconds)

    def snapshot(self) -> dict[str, object]:
        left = None
        if self._outage_ends_at is not None:
            left = round(max(0.0, self._outage_ends_at - time.monotonic()), 3)
        return {
            "latency_ms": self.latency_ms,
            "latency_per_item_ms": self.latency_per_item_ms,
            "fault_rate": self.fault_rate,
            "fault_operations": sorted(self.fault_operations),
            "outage": self.outage,
            "outage_seconds_left": left,
            "max_batch_size": self.max_batch_size,
            "held_calls": self.held_calls,
        }

    async def _set_outage(self, outage: Outage, seconds: float | None) -> None:
        if self._outage_timer is not None:
            self._outage_timer.cancel()
            self._outage_timer = None
        self._outage_ends_at = None
        previous, self.outage = self.outage, outage
        if outage == "hang":
            self._answering.clear()
        else:
            self._answering.set()
        if self.listener is not None and previous != outage:
            if outage == "refuse":
                await self.listener.refuse()
            elif previous == "refuse":
                await self.listener.restore()
        if seconds is not None:
            self._outage_ends_at = time.monotonic() + seconds
            self._outage_timer = asyncio.create_task(self._end_outage_after(seconds))

    async def _end_outage_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._outage_timer = None  # this task ends the outage: it must not cancel itself
        await self._set_outage("none", None)

    async def wait_while_hanging(self) -> None:
        """Return when no hang holds calls; counted in ``held_calls`` meanwhile."""
        if self._answering.is_set():
            return
        self.held_calls += 1
        try:
            await self._answering.wait()
        finally:
            self.held_calls -= 1

    def delay(self, items: int) -> float:
        """Seconds a call of ``items`` keys or items takes to answer."""
        return (self.latency_ms + self.latency_per_item_ms * items) / 1000

    def draw_failure(self, operation: str) -> Failure | None:
        if self.fault_operations and operation not in self.fault_operations:
            return None
        draw = self._rng.random()
        if draw < self.fault_rate / 2:
            return Failure.SOAP_FAULT
        if draw < self.fault_rate:
            return Failure.HTTP_ERROR
        return None

    def count_call(self, operation: str, items: int) -> None:
        stats = self.stats.setdefault(operation, OperationStats())
        stats.calls += 1
        stats.items += items

    def count_fault(self, operation: str) -> None:
        self.stats.setdefault(operation, OperationStats()).faults += 1

    def reset_stats(self) -> None:
        self.stats = {}
        self.stats_since = datetime.now(UTC)

    def stats_snapshot(self) -> dict[str, object]:
        return {
            "since": self.stats_since.isoformat(),
            "calls": sum(stats.calls for stats in self.stats.values()),
            "items": sum(stats.items for stats in self.stats.values()),
            "operations": {
                name: {"calls": stats.calls, "items": stats.items, "faults": stats.faults}
                for name, stats in sorted(self.stats.items())
            },
        }

    async def aclose(self) -> None:
        """The server is shutting down: drop the outage timer and answer held calls."""
        if self._outage_timer is not None:
            self._outage_timer.cancel()
            self._outage_timer = None
        self._answering.set()


@dataclass(frozen=True, slots=True)
class OutageChange:
    """How ``POST /_sim/outages/{id}`` moves a live outage on, as the outage-management
    system would (``SimulatedCis.advance_outage``); None leaves a field as it is."""

    status: OutageStatus | None = None
    crew_status: CrewStatus | None = None
    estimated_restoration: datetime | None = None


# A live outage is confirmed or restored; a planned one keeps to the seed's schedule (the
# backend refuses to move it, as it does a restored one).
_OUTAGE_STATUSES = (OutageStatus.CONFIRMED, OutageStatus.RESTORED)


def outage_change(update: Mapping[str, object]) -> OutageChange:
    """The change a JSON object asks for: ``status`` (CONFIRMED or RESTORED), ``crew_status``
    (NOT_ASSIGNED, DISPATCHED, ON_SITE or COMPLETE) and ``estimated_restoration`` (ISO 8601
    with an offset); raises ``ControlError`` for anything else."""
    unknown = sorted(set(update) - {"status", "crew_status", "estimated_restoration"})
    if unknown:
        raise ControlError(f"unknown fields: {', '.join(unknown)}")
    change = OutageChange(
        status=_named("status", update.get("status"), _OUTAGE_STATUSES),
        crew_status=_named("crew_status", update.get("crew_status"), tuple(CrewStatus)),
        estimated_restoration=_instant(update.get("estimated_restoration")),
    )
    if change == OutageChange():
        raise ControlError("give status, crew_status or estimated_restoration")
    return change


E = TypeVar("E", bound=enum.Enum)


def _named(field_name: str, value: object, members: tuple[E, ...]) -> E | None:
    if value is None:
        return None
    for member in members:
        if value == member.name:
            return member
    raise ControlError(f"{field_name} must be one of {', '.join(m.name for m in members)}")


def _instant(value: object) -> datetime | None:
    if value is None:
        return None
    problem = "estimated_restoration must be an ISO 8601 date-time with a UTC offset"
    if not isinstance(value, str):
        raise ControlError(problem)
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise ControlError(problem) from None
    if instant.utcoffset() is None:
        raise ControlError(problem)
    return instant
