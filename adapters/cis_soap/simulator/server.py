"""The CIS simulator runner: uvicorn on the SOAP port, and optionally on a control port.

The ``refuse`` outage really closes the SOAP port: its listening socket is closed at once,
open connections are shut down, and when the outage ends a new server listens on the same
port. The control endpoints keep answering on ``control_port`` (when given) meanwhile;
without one, a refusal is given ``outage_seconds`` and ends by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
from collections.abc import Iterator
from zoneinfo import ZoneInfoNotFoundError

import uvicorn
from starlette.applications import Starlette

from adapters.cis_soap.operations import MAX_BATCH_SIZE
from adapters.cis_soap.simulator.app import controls_of, create_app, create_control_app
from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.control import (
    DEFAULT_PASSWORD,
    DEFAULT_USER_ID,
    SimulatorSettings,
)

USER_ID_VARIABLE = "CIS_SIMULATOR_USER_ID"
PASSWORD_VARIABLE = "CIS_SIMULATOR_PASSWORD"  # noqa: S105 - the variable's name, not a secret


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


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def _serve(
    backend: SimulatedCis,
    settings: SimulatorSettings,
    *,
    host: str,
    port: int,
    control_port: int | None,
) -> None:
    app = create_app(backend, settings=settings)
    controls = controls_of(app)
    soap_port = HttpPort(app, host, port)
    ports = [soap_port]
    if control_port is not None:
        ports.append(HttpPort(create_control_app(backend, controls), host, control_port))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    try:
        for http_port in ports:
            await http_port.start()
        controls.listener = soap_port
        print(f"CIS simulator: WSDL at {_url(host, soap_port.port)}/cis?wsdl", flush=True)
        if control_port is not None:
            print(f"CIS simulator: control at {_url(host, ports[1].port)}/_sim", flush=True)
        await stopping.wait()
    finally:
        await controls.aclose()
        for http_port in ports:
            await http_port.stop()
        await backend.aclose()


def run(
    *,
    host: str,
    port: int,
    seed: int,
    members: int,
    latency_ms: float,
    fault_rate: float,
    database_path: str | None,
    latency_per_item_ms: float = 0.0,
    max_batch_size: int = MAX_BATCH_SIZE,
    control_port: int | None = None,
    time_zone: str = "America/Chicago",
) -> None:
    """Serve a simulated CIS until SIGINT or SIGTERM (port 0 picks a free port).

    Without ``database_path`` the simulator's writes live in memory only.

    Credentials come from ``CIS_SIMULATOR_USER_ID``/``CIS_SIMULATOR_PASSWORD``, defaulting
    to the simulator's well-known test pair.
    """
    # Impossible settings, a database made by another seed, a port already taken: a
    # message, not a traceback.
    try:
        settings = SimulatorSettings(
            seed=seed,
            user_id=os.environ.get(USER_ID_VARIABLE, DEFAULT_USER_ID),
            password=os.environ.get(PASSWORD_VARIABLE, DEFAULT_PASSWORD),
            latency_ms=latency_ms,
            latency_per_item_ms=latency_per_item_ms,
            fault_rate=fault_rate,
            max_batch_size=max_batch_size,
        )
        backend = SimulatedCis(
            seed=seed,
            members=members,
            database_path=database_path or ":memory:",
            time_zone=time_zone,
        )
    except (OSError, ValueError, ZoneInfoNotFoundError, sqlite3.Error) as error:
        raise SystemExit(f"CIS simulator: {error}") from None
    try:
        asyncio.run(_serve(backend, settings, host=host, port=port, control_port=control_port))
    except OSError as error:
        raise SystemExit(f"CIS simulator: {error}") from None
