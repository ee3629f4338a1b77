"""The retry, circuit-breaker and deadline machinery on its own, with a controllable clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from adapters.cis_soap import resilience as resilience_module
from adapters.cis_soap.resilience import (
    CircuitBreaker,
    CircuitOpen,
    NotSent,
    Resilience,
    RetryPolicy,
)
from adapters.errors import CisFault, CisTimeout, CisUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Flaky:
    """A send that fails with ``errors`` in turn, then answers ``"ok"``; counts its calls."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def resilience(
    *, retries: int = 3, failures: int = 5, deadline: float = 2.0, concurrency: int = 4
) -> Resilience:
    return Resilience(
        deadline=deadline,
        retry=RetryPolicy(retries, base=0.001, cap=0.005),
        breaker=CircuitBreaker(failures, cooldown=0.05),
        max_concurrency=concurrency,
    )


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(retries=5, base=0.1, cap=1.0)
    delays = [policy.backoff(3) for _ in range(200)]
    assert all(0 <= delay <= 0.8 for delay in delays)
    assert max(delays) > 0.4  # spread over the whole range
    assert min(delays) < 0.4
    assert all(policy.backoff(10) <= 1.0 for _ in range(50))


def test_breaker_opens_after_consecutive_failures_and_a_probe_closes_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, cooldown=10, clock=clock)
    for _ in range(2):
        breaker.record_failure(breaker.acquire())
    breaker.record_success(breaker.acquire())  # a success resets the count
    for _ in range(3):
        breaker.record_failure(breaker.acquire())
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen):
        breaker.acquire()
    clock.now += 10
    assert breaker.state == "half-open"
    probe = breaker.acquire()
    with pytest.raises(CircuitOpen):
        breaker.acquire()  # only one probe at a time
    breaker.record_success(probe)
    assert breaker.state == "closed"
    breaker.acquire()


def test_a_failed_probe_opens_the_breaker_for_another_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, cooldown=10, clock=clock)
    breaker.record_failure(breaker.acquire())
    clock.now += 10
    breaker.record_failure(breaker.acquire())
    assert breaker.state == "open"
    clock.now += 9
    with pytest.raises(CircuitOpen):
        breaker.acquire()
    clock.now += 1
    breaker.release(breaker.acquire())  # a probe that told nothing frees the slot
    breaker.acquire()


def test_only_the_probes_own_outcome_ends_the_half_open_state() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, cooldown=10, clock=clock)
    in_flight = [breaker.acquire() for _ in range(4)]  # admitted while closed
    breaker.record_failure(breaker.acquire())
    assert breaker.state == "open"
    breaker.record_success(in_flight[0])  # an old call's answer does not close it
    assert breaker.state == "open"
    clock.now += 10
    probe = breaker.acquire()
    breaker.release(in_flight[1])  # an old call ending does not free the probe's slot
    with pytest.raises(CircuitOpen, match="probe"):
        breaker.acquire()
    breaker.record_failure(in_flight[2])  # nor does an old failure re-open the breaker
    assert breaker.state == "half-open"
    breaker.record_success(probe)
    assert breaker.state == "closed"
    breaker.record_failure(in_flight[3])  # nor does it count against the closed breaker
    assert breaker.state == "closed"
    breaker.record_failure(breaker.acquire())
    assert breaker.state == "open"


async def test_transient_failures_are_retried_until_success() -> None:
    send = Flaky(CisUnavailable("busy"), CisTimeout("slow"))
    assert await resilience().run([send], idempotent=True) == ["ok"]
    assert send.calls == 3


async def test_retries_stop_after_the_configured_count() -> None:
    send = Flaky(*[CisUnavailable("down")] * 5)
    with pytest.raises(CisUnavailable, match="down"):
        await resilience(retries=2).run([send], idempotent=True)
    assert send.calls == 3


async def test_faults_are_never_retried() -> None:
    send = Flaky(CisFault("Client.InvalidRequest", "bad"))
    with pytest.raises(CisFault):
        await resilience().run([send], idempotent=True)
    assert send.calls == 1


async def test_a_non_idempotent_send_is_retried_only_when_it_never_left() -> None:
    unsent = Flaky(NotSent("refused"), NotSent("refused"))
    assert await resilience().run([unsent], idempotent=False) == ["ok"]
    assert unsent.calls == 3
    maybe_sent = Flaky(CisUnavailable("reset after sending"))
    with pytest.raises(CisUnavailable, match="reset"):
        await resilience().run([maybe_sent], idempotent=False)
    assert maybe_sent.calls == 1


async def test_the_open_breaker_answers_at_once_without_sending() -> None:
    guard = resilience(retries=0, failures=2)
    failing = Flaky(*[CisUnavailable("down")] * 2)
    for _ in range(2):
        with pytest.raises(CisUnavailable):
            await guard.run([failing], idempotent=True)
    healthy = Flaky()
    with pytest.raises(CircuitOpen):
        await guard.run([healthy], idempotent=True)
    assert healthy.calls == 0
    await asyncio.sleep(0.06)  # the cooldown
    assert await guard.run([healthy], idempotent=True) == ["ok"]
    assert guard.breaker.state == "closed"


async def test_a_split_call_probes_with_one_request_before_sending_the_others() -> None:
    guard = resilience(retries=0, failures=1)
    with pytest.raises(CisUnavailable):
        await guard.run([Flaky(CisUnavailable("down"))], idempotent=True)
    await asyncio.sleep(0.06)  # the cooldown
    sends = [Flaky(), Flaky(), Flaky()]
    assert await guard.run(sends, idempotent=True) == ["ok"] * 3
    assert guard.breaker.state == "closed"


async def test_faults_do_not_open_the_breaker() -> None:
    guard = resilience(retries=0, failures=1)
    with pytest.raises(CisFault):
        await guard.run([Flaky(CisFault("Client.AuthenticationFailed", "no"))], idempotent=True)
    assert guard.breaker.state == "closed"


async def test_the_deadline_cuts_a_hanging_call_and_counts_as_a_failure() -> None:
    guard = resilience(failures=1, deadline=0.1)
    started = time.monotonic()
    with pytest.raises(CisTimeout):
        await guard.run([hang], idempotent=True)
    assert time.monotonic() - started < 0.5
    assert guard.breaker.state == "open"


async def hang() -> str:
    await asyncio.sleep(10)
    return "never"


async def test_a_split_call_cut_by_its_deadline_counts_one_failure() -> None:
    guard = resilience(failures=2, deadline=0.05, concurrency=4)
    with pytest.raises(CisTimeout):
        await guard.run([hang] * 4, idempotent=True)  # four requests in flight at the deadline
    assert guard.breaker.state == "closed"
    with pytest.raises(CisTimeout):
        await guard.run([hang] * 4, idempotent=True)
    assert guard.breaker.state == "open"  # the second slow call


async def test_a_call_whose_retries_all_fail_counts_one_failure() -> None:
    guard = resilience(retries=3, failures=2)
    send = Flaky(*[CisUnavailable("down")] * 4)
    with pytest.raises(CisUnavailable):
        await guard.run([send], idempotent=True)
    assert send.calls == 4
    assert guard.breaker.state == "closed"
    with pytest.raises(CisUnavailable):
        await guard.run([Flaky(*[CisUnavailable("down")] * 4)], idempotent=True)
    assert guard.breaker.state == "open"  # the second failed call


async def test_no_backoff_is_started_that_would_outlast_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(resilience_module.random, "uniform", lambda low, high: high)
    guard = Resilience(
        deadline=0.2,
        retry=RetryPolicy(5, base=10, cap=10),
        breaker=CircuitBreaker(10, cooldown=1),
        max_concurrency=1,
    )
    send = Flaky(CisUnavailable("busy"))
    started = time.monotonic()
    with pytest.raises(CisUnavailable, match="busy") as raised:
        await guard.run([send], idempotent=True)
    assert not isinstance(raised.value, CisTimeout)
    assert time.monotonic() - started < 0.1
    assert send.calls == 1


async def test_sends_run_concurrently_under_the_limit_and_keep_their_order() -> None:
    running = peak = 0

    def send(value: int) -> Callable[[], Awaitable[int]]:
        async def call() -> int:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01 * (5 - value))
            running -= 1
            return value

        return call

    results = await resilience(concurrency=2).run([send(i) for i in range(5)], idempotent=True)
    assert results == [0, 1, 2, 3, 4]
    assert peak == 2


async def test_the_first_failure_cancels_the_other_sends() -> None:
    finished = []

    async def slow() -> str:
        await asyncio.sleep(0.2)
        finished.append("slow")
        return "slow"

    failing = Flaky(CisFault("Client.UnknownObject", "no such account"))
    with pytest.raises(CisFault):
        await resilience().run([slow, failing], idempotent=True)
    await asyncio.sleep(0.25)
    assert finished == []
