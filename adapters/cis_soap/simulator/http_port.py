"""One listening HTTP port served by uvicorn in the running event loop: for the CIS
simulator's ports and the sandbox processor's. It can stop listening and listen again (the
simulator's ``refuse`` outage), and it leaves signals to the runner that owns the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette


class _UvicornServer(uvicorn.Server):
    """A uvicorn server that says when it listens, and leaves signals to the runner."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.listening.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family)  # SO_REUSEADDR on POSIX
    # asyncio sets TCP_NODELAY only on sockets it made itself (proto IPPROTO_TCP); without it
    # Nagle and delayed ACKs stall every answer ~40 ms. Accepted connections inherit it.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class HttpPort:
    """One listening port served by uvicorn, which can stop listening and listen again."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.port = port
        self._server: _UvicornServer | None = None
        self._serving: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        bound = _bind(self.host, self.port)
        self.port = bound.getsockname()[1]  # the port the system chose for port 0
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = self._server = _UvicornServer(config)
        serving = self._serving = asyncio.create_task(server.serve(sockets=[bound]))
        listening = asyncio.create_task(server.listening.wait())
        await asyncio.wait((serving, listening), return_when=asyncio.FIRST_COMPLETED)
        if serving.done():
            listening.cancel()
            serving.result()  # startup failed: raise its error
            raise RuntimeError(f"the server on port {self.port} stopped while starting")

    async def refuse(self) -> None:
        """Stop listening now; idle connections close now, busy ones after their answer."""
        server = self._server
        if server is None:
            return
        for listener in server.servers:
            listener.close()
        # As uvicorn's own shutdown does, but at once, not at the server's next tick.
        for connection in list(server.server_state.connections):
            connection.shutdown()
        server.should_exit = True

    async def restore(self) -> None:
        if self._serving is not None:
            await self._serving
            self._serving = self._server = None
        if not self._closed:
            await self.start()

    async def stop(self) -> None:
        self._closed = True
        if self._server is not None:
            self._server.should_exit = True
        if self._serving is not None:
            await self._serving


def url_of(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
