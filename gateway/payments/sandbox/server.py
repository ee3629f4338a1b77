"""The sandbox processor runner behind ``coop-gateway sandbox-processor``: uvicorn on one
port until SIGINT or SIGTERM, printing one line with its URL once it listens (port 0
picks a free port, which that line tells)."""

from __future__ import annotations

import asyncio
import signal
import sqlite3

from starlette.applications import Starlette

from adapters.cis_soap.simulator.http_port import HttpPort, url_of
from gateway.payments.sandbox.app import create_app, service_of
from gateway.payments.sandbox.faults import DEFAULT_SLOW_SECONDS

API_KEY_VARIABLE = "COOP_GATEWAY_SANDBOX_API_KEY"
DEFAULT_API_KEY = "sk_sandbox_demo"
BANNER = "Sandbox processor: listening at "


async def _serve(app: Starlette, host: str, port: int) -> None:
    http_port = HttpPort(app, host, port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stopping.set)
    try:
        await http_port.start()
        print(f"{BANNER}{url_of(host, http_port.port)}", flush=True)
        await stopping.wait()
    finally:
        await http_port.stop()


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
