"""Failures the sandbox processor injects, changed at run time through ``/_sandbox/faults``.

- ``error_rate``: share of charge and refund requests answered HTTP 502 before anything
  is done (nothing charged, nothing refunded);
- ``charge_then_fail_rate``: share of charge requests whose charge is made (or found) and
  then answered HTTP 502 anyway: the "outcome unknown" case a client recovers from by
  asking for the charge by its reference;
- ``slow_seconds``: how long a charge with the slow test card takes to answer.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

DEFAULT_SLOW_SECONDS = 3.0
MAX_SLOW_SECONDS = 600.0


class FaultError(ValueError):
    """A fault update the sandbox cannot apply; nothing of it was applied."""


def _number(name: str, value: object, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise FaultError(f"{name} must be a number")
    if not 0.0 <= value <= high:
        raise FaultError(f"{name} must be in [0, {high:g}]")
    return float(value)


_LIMITS = {"error_rate": 1.0, "charge_then_fail_rate": 1.0, "slow_seconds": MAX_SLOW_SECONDS}


class Faults:
    def __init__(self, *, slow_seconds: float = DEFAULT_SLOW_SECONDS, seed: int | None = None):
        self.error_rate = 0.0
        self.charge_then_fail_rate = 0.0
        self.slow_seconds = _number("slow_seconds", slow_seconds, MAX_SLOW_SECONDS)
        self.injected = 0  # requests answered 502 by a drawn fault
        self._rng = random.Random(seed)  # noqa: S311 - test failures, not secrets

    def apply(self, update: Mapping[str, object]) -> None:
        """Apply a partial update; an invalid one raises `FaultError` and changes nothing."""
        unknown = sorted(set(update) - set(_LIMITS))
        if unknown:
            raise FaultError(f"unknown settings: {', '.join(unknown)}")
        values = {name: _number(name, value, _LIMITS[name]) for name, value in update.items()}
        self.error_rate = values.get("error_rate", self.error_rate)
        self.charge_then_fail_rate = values.get("charge_then_fail_rate", self.charge_then_fail_rate)
        self.slow_seconds = values.get("slow_seconds", self.slow_seconds)

    def snapshot(self) -> dict[str, float]:
        return {
            "error_rate": self.error_rate,
            "charge_then_fail_rate": self.charge_then_fail_rate,
            "slow_seconds": self.slow_seconds,
        }

    def _draw(self, rate: float) -> bool:
        failed = rate > 0 and self._rng.random() < rate
        self.injected += failed
        return failed

    def fail_before(self) -> bool:
        """Whether this request fails before anything is done."""
        return self._draw(self.error_rate)

    def fail_after_charge(self) -> bool:
        """Whether this charge request fails after the charge was made."""
        return self._draw(self.charge_then_fail_rate)
