"""The sandbox processor runner behind ``coop-gateway sandbox-processor``: uvicorn on one
port until SIGINT or SIGTERM, printing one line with its URL once it listens (port 0
picks a free port, which that line tells)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sqlite3
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette

from gateway.payments.sandbox.app import create_app, service_of
from gateway.payments.sandbox.faults import DEFAULT_SLOW_SECONDS

API_KEY_VARIABLE = "COOP_GATEWAY_SANDBOX_API_KEY"
DEFAULT_API_KEY = "sk_sandbox_demo"
BANNER = "Sandbox processor: listening at "


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
    sock = socket.create_server((host, port), family=family)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the CIS simulator does
    return sock


def url_of(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def _serve(app: Starlette, host: str, port: int) -> None:
    bound = _bind(host, port)
    config = uvicorn.Config(
        app, lifespan="off", log_level="warning", access_log=False, timeout_graceful_shutdown=1
    )
    server = _UvicornServer(config)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    serving = asyncio.create_task(server.serve(sockets=[bound]))
    try:
        listening = asyncio.create_task(server.listening.wait())
        await asyncio.wait((serving, listening), return_when=asyncio.FIRST_COMPLETED)
        if serving.done():
            listening.cancel()
            serving.result()  # startup failed: raise its error
            raise RuntimeError("the sandbox processor stopped while starting")
        print(f"{BANNER}{url_of(host, bound.getsockname()[1])}", flush=True)
        stopped = asyncio.create_task(stopping.wait())
        await asyncio.wait((serving, stopped), return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
    finally:
        server.should_exit = True
        await serving


def run(
    *,
    host: str,
    port: int,
    api_key: str,
    database_path: str | None = None,
    slow_seconds: float = DEFAULT_SLOW_SECONDS,
) -> None:
    """Serve the sandbox processor until SIGINT or SIGTERM; without ``database_path`` its
    ledger lives in memory only."""
    try:
        app = create_app(api_key, database=database_path or ":memory:", slow_seconds=slow_seconds)
    except (OSError, ValueError, sqlite3.Error) as error:
        raise SystemExit(f"Sandbox processor: {error}") from None
    try:
        asyncio.run(_serve(app, host, port))
    except OSError as error:
        raise SystemExit(f"Sandbox processor: {error}") from None
    finally:
        service_of(app).ledger.close()
