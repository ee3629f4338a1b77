from __future__ import annotations

import asyncio
import threading
import time

from argon2 import PasswordHasher, extract_parameters

from gateway.auth.passwords import (
    HASHING_THREADS,
    PARAMETERS,
    hash_password,
    needs_rehash,
    verify_password,
)


async def test_a_hash_is_argon2id_with_the_stated_parameters() -> None:
    stored = await hash_password("correct horse battery staple")

    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert extract_parameters(stored) == PARAMETERS
    assert "correct horse" not in stored
    assert await verify_password(stored, "correct horse battery staple")
    assert not await verify_password(stored, "correct horse battery stapler")
    assert not needs_rehash(stored)


async def test_each_hash_has_its_own_salt() -> None:
    first, second = await asyncio.gather(hash_password("same"), hash_password("same"))

    assert first != second
    assert await verify_password(first, "same")
    assert await verify_password(second, "same")


async def test_no_stored_hash_and_an_unreadable_one_never_match() -> None:
    assert not await verify_password(None, "")
    assert not await verify_password(None, "demo-password")
    assert not await verify_password("not-a-hash", "demo-password")
    assert not await verify_password("$argon2id$v=19$m=19456,t=2,p=1$broken", "demo-password")


async def test_a_hash_made_with_other_parameters_verifies_and_needs_rehash() -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("demo-password")

    assert await verify_password(weaker, "demo-password")
    assert needs_rehash(weaker)


async def test_hashing_leaves_the_event_loop_free() -> None:
    ticks = 0
    hashing = True

    async def tick() -> None:
        nonlocal ticks
        while hashing:
            ticks += 1
            await asyncio.sleep(0.001)

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await asyncio.gather(*(hash_password(str(n)) for n in range(4)))
    elapsed = time.perf_counter() - started
    hashing = False
    await ticker

    # Hashing on the loop would let the ticker run only between hashes: a handful of ticks.
    # Off the loop it ticks all along, about once a millisecond (fewer on a busy machine).
    assert elapsed > 0.02
    assert ticks > 10


async def test_hashes_share_a_bounded_pool_of_threads() -> None:
    await asyncio.gather(*(hash_password(str(n)) for n in range(3 * HASHING_THREADS)))

    hashing_threads = [t for t in threading.enumerate() if t.name.startswith("argon2")]
    assert 1 <= len(hashing_threads) <= HASHING_THREADS
