"""A subscriber's inbox: the latest item per key, bounded, and never a wait for the sender.

A fan-out puts into thousands of inboxes at once, so ``put`` never waits: an item
replaces the one waiting under the same key (an outage's newer state supersedes the older),
and a subscriber that lets more than ``limit`` keys pile up is cut off instead of growing
memory without bound or holding the others back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
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

    def put(self, key: K, item: T) -> None:
        """Keeps ``item`` as the latest under ``key``, after every other waiting key."""
        if self._overflowed:
            return
        self._waiting.pop(key, None)
        if len(self._waiting) >= self._limit:
            self._overflowed = True
            self._waiting.clear()
        else:
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
