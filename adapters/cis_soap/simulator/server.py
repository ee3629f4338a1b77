"""The CIS simulator runner: uvicorn on the SOAP port, and optionally on a control port.

The ``refuse`` outage really closes the SOAP port: its listening socket is closed at once,
open connections are shut down, and when the outage ends a new server listens on the same
port. The control endpoints keep answering on ``control_port`` (when given) meanwhile;
without one, a refusal is given ``outage_seconds`` and ends by itself.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from zoneinfo import ZoneInfoNotFoundError

from adapters.cis_soap.operations import MAX_BATCH_SIZE
from adapters.cis_soap.simulator.app import controls_of, create_app, create_control_app
from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.control import (
    DEFAULT_PASSWORD,
    DEFAULT_USER_ID,
    SimulatorSettings,
)
from adapters.cis_soap.simulator.http_port import HttpPort, url_of

USER_ID_VARIABLE = "CIS_SIMULATOR_USER_ID"
PASSWORD_VARIABLE = "CIS_SIMULATOR_PASSWORD"  # noqa: S105 - the variable's name, not a secret


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
        print(f"CIS simulator: WSDL at {url_of(host, soap_port.port)}/cis?wsdl", flush=True)
        if control_port is not None:
            print(f"CIS simulator: control at {url_of(host, ports[1].port)}/_sim", flush=True)
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
