"""The subscription socket when something fails: a database outage at connection_init is
"try again later" (1013), not "forbidden" (4403), and logs a warning without a traceback;
a push that finds its socket gone is no error, while a real failure still is."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import Message as AsgiMessage
from starlette.websockets import WebSocket, WebSocketState
from strawberry.http.exceptions import WebSocketDisconnected

from adapters.cis_soap.simulator.demo import DEMO_EMAIL
from gateway.graphql_view import GraphQLView
from gateway.socket_messages import TRY_AGAIN_LATER, SocketMessages, SocketProtocol
from schema.root import build_schema
from tests.gateway.databases import shut_out
from tests.gateway.graphql_socket import close_code, graphql_socket, send
from tests.gateway.live_gateway import log_in
from tests.schema.harness import PASSWORD


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # SQLite has no server
async def test_a_database_outage_at_connection_init_is_try_again_later(
    gateway: httpx.AsyncClient,
    demo_users: None,
    engine: AsyncEngine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    await shut_out(engine)
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}

    with caplog.at_level(logging.INFO), caplog.at_level(logging.INFO, logger="uvicorn.error"):
        async with graphql_socket(str(gateway.base_url)) as socket:
            await send(socket, init)
            code = await close_code(socket)
            reason = socket.close_reason

    assert (code, reason) == (TRY_AGAIN_LATER, "the gateway cannot check logins now: try again")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.name, r.levelno, r.exc_info) for r in warnings] == [
        ("gateway.socket_context", logging.WARNING, None)  # and no traceback
    ]
    assert "the database failed" in warnings[0].getMessage()


def protocol(view: GraphQLView, *, closed: bool) -> SocketProtocol:
    """The socket's protocol handler over a socket that is open, or closed."""

    async def nothing() -> AsgiMessage:
        raise AssertionError("not read")

    async def ignore(message: AsgiMessage) -> None:
        pass

    socket = WebSocket({"type": "websocket", "path": "/graphql", "headers": []}, nothing, ignore)
    socket.client_state = WebSocketState.CONNECTED
    socket.application_state = WebSocketState.DISCONNECTED if closed else WebSocketState.CONNECTED
    return SocketProtocol(
        view=view,
        websocket=SocketMessages(view, socket, socket),
        context=None,
        root_value=None,
        schema=view.schema,
        connection_init_wait_timeout=timedelta(seconds=10),
    )


async def test_a_push_to_a_socket_gone_is_no_error(caplog: pytest.LogCaptureFixture) -> None:
    view = GraphQLView(build_schema())
    failure = RuntimeError("a subscription's task failed")

    with caplog.at_level(logging.DEBUG):
        # The client left while a push was sent; a push came after the socket was closed.
        await protocol(view, closed=False).handle_task_exception(WebSocketDisconnected())
        sent_after_close = RuntimeError('Cannot call "send" once a close message has been sent.')
        await protocol(view, closed=True).handle_task_exception(sent_after_close)
        await protocol(view, closed=False).handle_task_exception(failure)

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.exc_info[1] if r.exc_info else None for r in errors] == [failure]
