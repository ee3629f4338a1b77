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


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive transient failures; while open every
    call fails at once; after ``cooldown`` one probe call goes through, and its success
    closes the breaker (its failure opens it for another cooldown)."""

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

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._probing or self._clock() - self._opened_at >= self._cooldown:
            return "half-open"
        return "open"

    def acquire(self) -> None:
        """Let a call through, or raise ``CircuitOpen``."""
        if self._opened_at is None:
            return
        if self._clock() - self._opened_at < self._cooldown:
            raise CircuitOpen("the CIS circuit breaker is open after repeated failures")
        if self._probing:
            raise CircuitOpen("the CIS circuit breaker is waiting for its probe call")
        self._probing = True

    def record_success(self) -> None:
        if self._opened_at is not None:
            logger.info("CIS circuit breaker closed: the probe call succeeded")
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._probing or (self._opened_at is None and self._failures >= self._threshold):
            logger.warning("CIS circuit breaker open after %d failures", self._failures)
            self._opened_at = self._clock()
        self._probing = False

    def release(self) -> None:
        """Forget a call that ended without telling anything about the CIS's health."""
        self._probing = False


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
        deadline_at = asyncio.get_running_loop().time() + self._deadline
        try:
            async with asyncio.timeout_at(deadline_at):
                first: list[T] = []
                if sends and self.breaker.state != "closed":
                    # One request probes a recovering CIS; the others follow if it answers.
                    first.append(await self._with_retries(sends[0], idempotent, deadline_at))
                    sends = sends[1:]
                return first + await _all_or_first_error(
                    self._with_retries(send, idempotent, deadline_at) for send in sends
                )
        except TimeoutError:
            raise CisTimeout(f"the CIS did not answer within {self._deadline:g} s") from None

    async def _with_retries(
        self, send: Callable[[], Awaitable[T]], idempotent: bool, deadline_at: float
    ) -> T:
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                return await self._attempt(send, deadline_at)
            except CircuitOpen:
                raise
            except CisUnavailable as error:
                repeatable = idempotent or isinstance(error, NotSent)
                if not repeatable or attempt >= self._retry.retries:
                    raise
                delay = self._retry.backoff(attempt)
                if loop.time() + delay >= deadline_at:
                    raise  # the deadline would pass while waiting: fail now, not later
                attempt += 1
                logger.warning("CIS call failed (%s); retry %d in %.3f s", error, attempt, delay)
                await asyncio.sleep(delay)

    async def _attempt(self, send: Callable[[], Awaitable[T]], deadline_at: float) -> T:
        async with self._slots:
            self.breaker.acquire()
            try:
                result = await send()
            except CisUnavailable:
                self.breaker.record_failure()
                raise
            except CisFault:
                self.breaker.record_success()  # a fault is an answer: the CIS is up
                raise
            except asyncio.CancelledError:
                if asyncio.get_running_loop().time() >= deadline_at:
                    self.breaker.record_failure()  # cut off by the deadline: no answer in time
                else:
                    self.breaker.release()
                raise
            except BaseException:
                self.breaker.release()
                raise
            self.breaker.record_success()
            return result


async def _all_or_first_error(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        return await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
