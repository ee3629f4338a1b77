"""A subscriber's inbox: the latest item per key, bounded, and never a wait for the sender.

A fan-out puts into thousands of inboxes at once, so ``put`` never waits: an item
replaces the one waiting under the same key (an outage's newer state supersedes the older).
A subscriber is cut off once it lets more than ``limit`` keys pile up from earlier puts,
instead of growing memory without bound or holding the others back. The batch in hand
does not count: a snapshot of every active outage, however many a storm brings, is one
put, and a subscriber that reads is never cut off for its size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class InboxOverflow(Exception):
    """The subscriber fell too far behind: more than the inbox's limit of keys waited."""


class Inbox(Generic[K, T]):
    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._waiting: dict[K, T] = {}
        self._ready = asyncio.Event()
        self._overflowed = False

    def put(self, items: Mapping[K, T]) -> None:
        """Keeps each of ``items`` as the latest under its key, after every other waiting
        key; overflows instead when over ``limit`` keys still wait from earlier puts."""
        if self._overflowed or not items:
            return
        if len(self._waiting) > self._limit:
            self._overflowed = True
            self._waiting.clear()
        else:
            for key, item in items.items():
                self._waiting.pop(key, None)
                self._waiting[key] = item
        self._ready.set()

    async def take(self) -> list[T]:
        """Everything waiting (once something is), in the order it last changed. Raises
        ``InboxOverflow`` once the inbox overflowed."""
        await self._ready.wait()
        if self._overflowed:
            raise InboxOverflow
        self._ready.clear()
        items = list(self._waiting.values())
        self._waiting.clear()
        return items
