"""A CIS adapter that delegates to another and counts the calls it passes on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, cast

from adapters.contract import CisAdapter
from adapters.errors import CisUnavailable


class CountingCis:
    """Implements ``CisAdapter`` over ``cis``: counts calls per method, keeps their arguments.

    Methods named in ``failing`` raise ``CisUnavailable`` instead of answering.
    """

    def __init__(self, cis: CisAdapter) -> None:
        self.cis = cis
        self.calls: Counter[str] = Counter()
        self.keys: dict[str, list[Any]] = {}  # the keys (or sequence) of every call
        self.parameters: dict[str, list[dict[str, Any]]] = {}  # keyword arguments of every call
        self.failing: set[str] = set()

    def __getattr__(self, method: str) -> Callable[..., Awaitable[Any]]:
        answer = getattr(self.cis, method)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[method] += 1
            self.keys.setdefault(method, []).append(args[0] if args else None)
            self.parameters.setdefault(method, []).append(kwargs)
            if method in self.failing:
                raise CisUnavailable(f"{method} is down")
            return await answer(*args, **kwargs)

        return counted

    def as_adapter(self) -> CisAdapter:
        return cast(CisAdapter, self)
