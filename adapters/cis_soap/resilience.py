"""Retries, a circuit breaker, a concurrency limit and a deadline around CIS calls.

Only transient failures (``CisUnavailable``: unreachable, server faults, HTTP 5xx,
timeouts) are retried or counted by the breaker; a ``CisFault`` is a CIS that answered.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from adapters.errors import CisFault, CisTimeout, CisUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")


class NotSent(CisUnavailable):
    """The request never reached the CIS (no connection), so even a non-idempotent call
    may be sent again."""


class CircuitOpen(CisUnavailable):
    """The circuit breaker refused the call without contacting the CIS."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter: attempt ``n`` waits U(0, min(cap, base * 2**n))."""

    retries: int
    base: float
    cap: float

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))  # noqa: S311 - jitter


@dataclass(frozen=True, slots=True)
class Permit:
    """What the breaker hands a call it lets through; the call reports its outcome with it.

    ``period`` numbers the breaker's closed and open spells: an outcome from an earlier
    spell (a call admitted before the breaker opened) changes nothing.
    """

    period: int
    probe: bool


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive transient failures; while open every
    call fails at once; after ``cooldown`` one probe call goes through, and only its outcome
    ends the half-open state: success closes the breaker, failure opens it for another
    cooldown, and an outcome that tells nothing (``release``) lets another probe through."""

    def __init__(
        self,
        failure_threshold: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failure_threshold
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._period = 0

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._probing or self._clock() - self._opened_at >= self._cooldown:
            return "half-open"
        return "open"

    def acquire(self) -> Permit:
        """Let a call through, or raise ``CircuitOpen``."""
        if self._opened_at is None:
            return Permit(self._period, probe=False)
        if self._clock() - self._opened_at < self._cooldown:
            raise CircuitOpen("the CIS circuit breaker is open after repeated failures")
        if self._probing:
            raise CircuitOpen("the CIS circuit breaker is waiting for its probe call")
        self._probing = True
        return Permit(self._period, probe=True)

    def record_success(self, permit: Permit) -> None:
        if permit.probe:
            logger.info("CIS circuit breaker closed: the probe call succeeded")
            self._probing = False
            self._opened_at = None
            self._failures = 0
            self._period += 1
        elif self._is_current(permit):
            self._failures = 0

    def record_failure(self, permit: Permit) -> None:
        if permit.probe:
            self._probing = False
            self._open("its probe call failed")
        elif self._is_current(permit):
            self._failures += 1
            if self._failures >= self._threshold:
                self._open(f"{self._failures} failures in a row")

    def release(self, permit: Permit) -> None:
        """Forget a call that ended without telling anything about the CIS's health."""
        if permit.probe:
            self._probing = False

    def _is_current(self, permit: Permit) -> bool:
        """Admitted while closed, and the breaker has stayed closed since."""
        return permit.period == self._period and self._opened_at is None

    def _open(self, reason: str) -> None:
        logger.warning("CIS circuit breaker open: %s", reason)
        self._opened_at = self._clock()
        self._period += 1


class _Run:
    """One adapter call under way: its deadline, and its outcomes as the breaker counts them,
    at most one failure per call, so a split call cut by its deadline, or retried, counts
    once and not once per request."""

    def __init__(self, breaker: CircuitBreaker, deadline_at: float) -> None:
        self.deadline_at = deadline_at
        self._breaker = breaker
        self._failed = False

    def failure(self, permit: Permit) -> None:
        if self._failed and not permit.probe:  # a probe's failure always re-opens
            self._breaker.release(permit)
        else:
            self._failed = True
            self._breaker.record_failure(permit)


class Resilience:
    """Runs the SOAP requests of one adapter call: concurrently under a shared limit, each
    retried when safe, all within the call's deadline (``CisTimeout`` when it passes)."""

    def __init__(
        self,
        *,
        deadline: float,
        retry: RetryPolicy,
        breaker: CircuitBreaker,
        max_concurrency: int,
    ) -> None:
        self.breaker = breaker
        self._deadline = deadline
        self._retry = retry
        self._slots = asyncio.Semaphore(max_concurrency)

    async def run(
        self, sends: Sequence[Callable[[], Awaitable[T]]], *, idempotent: bool
    ) -> list[T]:
        """Results of ``sends`` in order; the first failure cancels the others and is raised.

        A non-idempotent send is repeated only after a ``NotSent`` failure.
        """
        run = _Run(self.breaker, asyncio.get_running_loop().time() + self._deadline)
        try:
            async with asyncio.timeout_at(run.deadline_at):
                first: list[T] = []
                if sends and self.breaker.state != "closed":
                    # One request probes a recovering CIS; the others follow if it answers.
                    first.append(await self._with_retries(sends[0], idempotent, run))
                    sends = sends[1:]
                return first + await _all_or_first_error(
                    self._with_retries(send, idempotent, run) for send in sends
                )
        except TimeoutError:
            raise CisTimeout(f"the CIS did not answer within {self._deadline:g} s") from None

    async def _with_retries(
        self, send: Callable[[], Awaitable[T]], idempotent: bool, run: _Run
    ) -> T:
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                return await self._attempt(send, run)
            except CircuitOpen:
                raise
            except CisUnavailable as error:
                repeatable = idempotent or isinstance(error, NotSent)
                if not repeatable or attempt >= self._retry.retries:
                    raise
                delay = self._retry.backoff(attempt)
                if loop.time() + delay >= run.deadline_at:
                    raise  # the deadline would pass while waiting: fail now, not later
                attempt += 1
                logger.warning("CIS call failed (%s); retry %d in %.3f s", error, attempt, delay)
                await asyncio.sleep(delay)

    async def _attempt(self, send: Callable[[], Awaitable[T]], run: _Run) -> T:
        async with self._slots:
            permit = self.breaker.acquire()
            try:
                result = await send()
            except CisUnavailable:
                run.failure(permit)
                raise
            except CisFault:
                self.breaker.record_success(permit)  # a fault is an answer: the CIS is up
                raise
            except asyncio.CancelledError:
                if asyncio.get_running_loop().time() >= run.deadline_at:
                    run.failure(permit)  # cut off by the deadline: no answer in time
                else:
                    self.breaker.release(permit)
                raise
            except BaseException:
                self.breaker.release(permit)
                raise
            self.breaker.record_success(permit)
            return result


async def _all_or_first_error(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
