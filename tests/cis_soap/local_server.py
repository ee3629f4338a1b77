"""A real HTTP server for a test's own ASGI app, in a thread, on a port it picked itself; and
a free port for a server in another process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    """A port free now, for a process that must be told its port (another process could
    take it first: prefer letting a server bind port 0 where it can)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(app: ASGIApp, *, lifespan: Literal["on", "off"] = "off") -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1; yields its base URL. With ``lifespan="on"``
    the app's start-up runs first (in the server's thread and loop); if it fails, so does
    this.

    uvicorn binds port 0 and the URL is read from its listening socket, so no other
    process can take the port between choosing it and binding it.
    """
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan=lifespan, log_level="critical")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started, "the local server did not start"
    try:
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
