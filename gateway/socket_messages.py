"""A GraphQL WebSocket's messages: held to what graphql-transport-ws allows on the way in,
and the protocol's handling, where strawberry's would mislead a client or fill the log.

Strawberry's handler trusts a message's shape once it is JSON: a subscribe whose payload
is a string, or a message that is a list, fails inside it and ends the connection with an
internal error. Here every message must be a JSON object of the protocol's shape (and no
larger than an HTTP request may be, ``MAX_REQUEST_BYTES``), else the socket is closed with
4400, as the protocol says for invalid messages.

When the database cannot check the connection_init's login, the socket is closed with
1013 Try Again Later, which clients retry, rather than 4403 Forbidden, which they read as
bad credentials. A push that finds its socket gone (the client left as it was sent) is no
error: only other failures of a subscription's task are logged with their traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator

from cross_web import HTTPException
from starlette.websockets import WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived, WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage

from gateway.context import RequestContext
from gateway.socket_context import LoginUncheckable, SocketContext

TRY_AGAIN_LATER = 1013  # the WebSocket close code (RFC 6455's registry)

logger = logging.getLogger(__name__)


class SocketMessages(ASGIWebSocketAdapter):
    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        messages = super().iter_json(ignore_parsing_errors=ignore_parsing_errors)
        try:
            async for message in messages:
                if not _well_formed(message):
                    raise NonJsonMessageReceived
                yield message
        except HTTPException as error:  # the view's decode_json refused it
            raise NonJsonMessageReceived from error

    @property
    def closed(self) -> bool:
        """Whether either side has closed the socket."""
        return WebSocketState.DISCONNECTED in (self.ws.client_state, self.ws.application_state)


class SocketProtocol(BaseGraphQLTransportWSHandler[RequestContext | SocketContext, None]):
    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except LoginUncheckable:
            reason = "the gateway cannot check logins now: try again"
            await self.websocket.close(code=TRY_AGAIN_LATER, reason=reason)

    async def handle_task_exception(self, error: Exception) -> None:
        socket = self.websocket
        if isinstance(error, WebSocketDisconnected) or (
            isinstance(socket, SocketMessages) and socket.closed
        ):
            logger.debug("a push found its socket closed (%s)", type(error).__name__)
            return
        await super().handle_task_exception(error)


def _well_formed(message: object) -> bool:
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return False
    if message["type"] != "subscribe":
        return True
    payload = message.get("payload")
    return (
        isinstance(message.get("id"), str)
        and isinstance(payload, dict)
        and isinstance(payload.get("query"), str)
        and isinstance(payload.get("variables"), dict | None)
        and isinstance(payload.get("operationName"), str | None)
    )
