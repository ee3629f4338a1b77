"""Waiting, in an async test, for something another task or process does."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    what: str,
    *,
    within: float = 5,
    every: float = 0.01,
) -> None:
    """Returns once ``condition`` holds, checking it every ``every`` seconds and letting the
    loop's other tasks run meanwhile; fails after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        holds = condition()
        if inspect.isawaitable(holds):
            holds = await holds
        if holds:
            return
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(every)
