"""The gateway's access log: one line per HTTP request, without its query string.

uvicorn's access log is off: it prints the whole target, and a ``GET /graphql?...``
target holds the client's query and variables (a password, an account number). This log
names the route's path template instead (``/greenbutton/{account_number}.xml``: a path
holds an account number too), ``-`` for a path no route serves (the client typed it, so it
may hold anything), and never a header (``Authorization`` least of all).
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("gateway.access")


class AccessLog:
    """ASGI middleware logging client, method, path, status and duration of each request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app fails before it answers

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            client = scope.get("client")
            logger.info(
                '%s "%s %s" %d %.1f ms',
                client[0] if client else "-",
                scope["method"],
                _route_path(scope),
                status,
                (time.perf_counter() - started) * 1000,
            )


def _route_path(scope: Scope) -> str:
    """The template of the route that served the request; the router puts the route in the
    scope it was given, which is this one."""
    template = getattr(scope.get("route"), "path", None)
    return template if isinstance(template, str) else "-"
