"""The CIS simulator on a clock the test sets, served over real HTTP (SOAP) from a thread of the
test process, so a test can also move its outages on and know what day its data is of."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from starlette.types import ASGIApp, Receive, Scope, Send

from adapters.cis_soap.simulator.app import create_app
from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.control import SimulatorSettings
from tests.cis_soap.local_server import serving
from tests.simulator_process import SIMULATOR_MEMBERS, SIMULATOR_SEED

CHICAGO = ZoneInfo("America/Chicago")  # the demo co-op's zone, and the simulator's
# The CIS's "now": its 24 months of bills, balances and usage end here.
CIS_NOW = datetime(2026, 11, 18, 10, 37, tzinfo=CHICAGO)

T = TypeVar("T")


class _BuiltInServerThread:
    """An ASGI app that builds the simulator when the server starts, in the server's thread:
    the simulator's SQLite store may only be used from the thread that opened it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.backend: SimulatedCis | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            assert self._app is not None
            await self._app(scope, receive, send)
            return
        await receive()  # startup
        self.backend = SimulatedCis(
            seed=SIMULATOR_SEED, members=SIMULATOR_MEMBERS, clock=lambda: self.now
        )
        self._app = create_app(self.backend, settings=SimulatorSettings(seed=SIMULATOR_SEED))
        self.loop = asyncio.get_running_loop()
        await send({"type": "lifespan.startup.complete"})
        await receive()  # shutdown
        await self.backend.aclose()
        await send({"type": "lifespan.shutdown.complete"})


@dataclass(frozen=True)
class ServedCis:
    url: str
    _server: _BuiltInServerThread

    @property
    def soap_url(self) -> str:
        return f"{self.url}/cis"

    async def run(self, change: Callable[[SimulatedCis], Awaitable[T]]) -> T:
        """Runs ``change`` on the simulator, in the server's thread and loop."""
        backend, loop = self._server.backend, self._server.loop
        assert backend is not None
        assert loop is not None
        future = asyncio.run_coroutine_threadsafe(_call(change, backend), loop)
        return await asyncio.wrap_future(future)


async def _call(change: Callable[[SimulatedCis], Awaitable[T]], backend: SimulatedCis) -> T:
    return await change(backend)


@contextmanager
def served_cis(now: datetime = CIS_NOW) -> Iterator[ServedCis]:
    server = _BuiltInServerThread(now)
    with serving(server, lifespan="on") as url:
        yield ServedCis(url, server)
