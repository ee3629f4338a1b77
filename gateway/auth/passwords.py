"""Password hashing with argon2id, off the event loop and with a bounded number of hashes at once.

Parameters are OWASP's recommended argon2id minimum (19 MiB, 2 passes, 1 lane): about 30 ms a
hash on one core. A stored hash made with other parameters still verifies; `needs_rehash`
tells the caller to store a new one after a successful login.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from argon2 import Parameters, PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

PARAMETERS = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=2,
    memory_cost=19 * 1024,  # KiB
    parallelism=1,
)
_HASHER = PasswordHasher.from_parameters(PARAMETERS)

# A temporary password (sign-up, new staff) works for one login within this time.
TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=24)
_TEMPORARY_PASSWORD_LENGTH = 16  # ~93 bits from the alphabet below
# No look-alikes (0/O, 1/l/I), so it can be read off a phone and typed on another device.
_TEMPORARY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

# A pool of its own bounds the hashes running at once (argon2 releases the GIL, so each takes a
# core): a login storm queues here, leaving the other cores to the event loop and the default
# executor's threads to everything else. A pool, unlike a semaphore, is bound to no event loop.
HASHING_THREADS = max(1, min(4, (os.cpu_count() or 1) // 2))
_POOL = ThreadPoolExecutor(max_workers=HASHING_THREADS, thread_name_prefix="argon2")


async def hash_password(password: str) -> str:
    """The password's argon2id hash in PHC string form (``$argon2id$v=19$m=...``)."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, _HASHER.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``, compared in constant time by argon2.

    ``None`` (no such user) checks the password against a hash of a random secret instead:
    the answer is False, after as much work as for a real user, so timing does not tell
    whether the user exists.
    """
    return await asyncio.get_running_loop().run_in_executor(_POOL, _verify, password_hash, password)


def new_temporary_password() -> str:
    return "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(_TEMPORARY_PASSWORD_LENGTH))


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with parameters other than `PARAMETERS`."""
    return _HASHER.check_needs_rehash(password_hash)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        stored = _dummy_hash() if password_hash is None else password_hash
        matches = _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and password_hash is not None


@functools.cache
def _dummy_hash() -> str:
    # Made on first use (in a hashing thread) rather than at import: hashing is slow on purpose.
    return _HASHER.hash(secrets.token_urlsafe(32))
