"""A typed face for aiodataloader's DataLoader, and batch functions over mapping reads.

The CIS adapter answers a batch with a mapping in which unknown keys are absent; a
DataLoader wants one value per key, in key order. ``single`` and ``grouped`` bridge the
two: a missing key loads as ``None`` (one record per key) or ``()`` (rows per key).

When the adapter raises, the whole batch fails: aiodataloader rejects the load of every
key in it with that error and drops those keys from its cache, so a failure is never
remembered; the next load of such a key asks the CIS again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

from aiodataloader import DataLoader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")


class RecordLoader(Generic[K, V]):
    """Loads values by key; every key asked for before the event loop turns shares one batch."""

    def __init__(
        self,
        batch_load: Callable[[list[K]], Awaitable[list[V]]],
        *,
        max_batch_size: int | None = None,
    ) -> None:
        """``max_batch_size`` None (the default): one batch, however many keys; the adapter
        splits a batch the CIS finds too large. 1 sends each key in a call of its own."""

        async def batch_load_fn(keys: list[K]) -> list[V]:
            return await batch_load(keys)

        self._loader: DataLoader[K, V] = DataLoader(
            batch_load_fn=batch_load_fn, max_batch_size=max_batch_size
        )

    async def load(self, key: K) -> V:
        return await self._loader.load(key)

    async def load_many(self, keys: Iterable[K]) -> list[V]:
        """The values of ``keys``, in their order, in one await (and at most one batch)."""
        return await self._loader.load_many(keys)

    def prime(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key`` unless the key was already loaded or asked for."""
        self._loader.prime(key, value)


def single(
    fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, R]]],
) -> Callable[[list[K]], Awaitable[list[R | None]]]:
    """A batch function over a one-record-per-key read: ``None`` for a key the CIS lacks."""

    async def batch_load(keys: list[K]) -> list[R | None]:
        found = await fetch(keys)
        return [found.get(key) for key in keys]

    return batch_load


def grouped(
    fetch: Callable[[Sequence[K]], Awaitable[Mapping[K, tuple[R, ...]]]],
) -> Callable[[list[K]], Awaitable[list[tuple[R, ...]]]]:
    """A batch function over a rows-per-key read: ``()`` for a key the CIS lacks."""

    async def batch_load(keys: list[K]) -> list[tuple[R, ...]]:
        found = await fetch(keys)
        return [found.get(key, ()) for key in keys]

    return batch_load
