"""Per-client-address throttling of the anonymous entry points (login, sign-up, reset).

A sliding window per (action, address), in this process's memory: with several gateway
processes each counts alone, so the effective limit is the limit times the processes. The
account lockout (``gateway.auth.login``) is kept in the database and holds across them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

_MAX_TRACKED = 100_000  # keys kept at most; the oldest go first, so memory stays bounded


@dataclass
class Throttle:
    """At most ``limit`` attempts per key within any ``window``."""

    limit: int
    window: timedelta
    _attempts: dict[str, deque[datetime]] = field(default_factory=dict)

    def allow(self, key: str, now: datetime) -> bool:
        """Counts an attempt for ``key``; False when it is one too many."""
        attempts = self._attempts.pop(key, None) or deque()
        while attempts and now - attempts[0] >= self.window:
            attempts.popleft()
        allowed = len(attempts) < self.limit
        if allowed:
            attempts.append(now)
        if len(self._attempts) >= _MAX_TRACKED:
            del self._attempts[next(iter(self._attempts))]
        self._attempts[key] = attempts  # re-inserted: dict order is least recently used first
        return allowed


@dataclass(frozen=True, slots=True)
class Throttles:
    """One throttle per anonymous entry point, each allowing ``per_minute`` per address."""

    login: Throttle
    register: Throttle
    reset: Throttle

    @classmethod
    def per_minute(cls, limit: int) -> Throttles:
        minute = timedelta(minutes=1)
        return cls(Throttle(limit, minute), Throttle(limit, minute), Throttle(limit, minute))
