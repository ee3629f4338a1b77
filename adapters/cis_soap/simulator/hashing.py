"""Deterministic noise for the simulator: a splitmix64-style hash of small integers.

Every generated value is a pure function of the seed and the thing it describes
(a member's index, a meter and a day, …), so any slice of the data can be produced
on its own, in any order, and comes out the same on every run and platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15

Item = TypeVar("Item")


def mix(*values: int) -> int:
    """A well-spread 64-bit hash of ``values`` (order matters)."""
    state = 0
    for value in values:
        z = (state ^ (value & _MASK)) + _GOLDEN & _MASK
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & _MASK
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB & _MASK
        state = z ^ (z >> 31)
    return state


def between(low: int, high: int, hashed: int) -> int:
    """An integer in ``[low, high]`` chosen by ``hashed``."""
    return low + hashed % (high - low + 1)


def pick(choices: Sequence[Item], hashed: int) -> Item:
    return choices[hashed % len(choices)]


def chance(per_mille: int, hashed: int) -> bool:
    """True for about ``per_mille`` in a thousand hashes."""
    return (hashed >> 7) % 1000 < per_mille
