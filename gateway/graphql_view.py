"""``/graphql``: Strawberry's ASGI view, with the gateway's request context and clean errors.

Each request gets its co-op (``X-Cooperative`` header, else host name, else the default),
its principal (``Authorization: Bearer <token>``; an invalid token is anonymous, and the
schema answers UNAUTHENTICATED where a login is needed), fresh loaders and one "now".

A WebSocket on the same path speaks graphql-transport-ws, for subscriptions only (queries
and mutations go over HTTP: ``schema.transport``). Its co-op is routed as a request's (an
unknown one is refused at the handshake), and its ``connection_init`` payload must carry
``{"authorization": "Bearer <token>"}`` of a live login, else the socket is closed with
4403 Forbidden (``gateway.socket_context``), or 1013 Try Again Later when the database
cannot tell (``gateway.socket_messages``); a subscribe before that is closed with 4401.

Anything wrong with the HTTP request itself (not JSON, wrong content type, too large, a
mutation over GET, an unknown co-op) gets a 4xx JSON answer shaped like a GraphQL error
with an ``extensions.code``, never a 500 or a plain-text body.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from cross_web import HTTPException
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from gateway.auth.bearer import authenticate
from gateway.auth.sessions import Principal
from gateway.context import RequestContext, Services
from gateway.runtime import UnknownCooperative, gateway_of
from gateway.socket_context import AUTHORIZATION, SocketContext
from gateway.socket_messages import SocketMessages, SocketProtocol
from resolvers.loaders import CisLoaders

# A GraphQL document an app sends is a few kilobytes; bodies and query strings past this
# are refused unread, so no client makes the gateway buffer or parse megabytes.
MAX_REQUEST_BYTES = 32 * 1024
# A socket that has not proven a login within this long is closed (4408); an app needs
# one or two subscriptions, so a connection may hold this many at once.
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)
MAX_SUBSCRIPTIONS_PER_CONNECTION = 10

_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    503: "UNAVAILABLE",
}

logger = logging.getLogger(__name__)


class _BodyTooLarge(Exception):
    pass


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A request-level error in the GraphQL response shape; its code, unless given, is the
    status's."""
    code = code or _CODES.get(status, "BAD_REQUEST" if status < 500 else "INTERNAL")
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return JSONResponse(body, status, headers=headers)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for any other header."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class GraphQLView(GraphQL[RequestContext | SocketContext, None]):
    websocket_adapter_class = SocketMessages
    graphql_transport_ws_handler_class = SocketProtocol

    def __init__(self, schema: BaseSchema) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._serve_socket(WebSocket(scope, receive, send))
            return
        request = Request(scope, receive=_limited(receive, MAX_REQUEST_BYTES))
        response: Response
        try:
            response = await self._answer(request)
        except HTTPException as error:
            response = error_response(error.status_code, error.reason)
        except _BodyTooLarge:
            response = error_response(413, f"the request body is over {MAX_REQUEST_BYTES} bytes")
        await response(scope, receive, send)

    async def _answer(self, request: Request) -> Response:
        if len(request.scope["query_string"]) > MAX_REQUEST_BYTES:
            raise HTTPException(414, f"the query string is over {MAX_REQUEST_BYTES} bytes")
        length = request.headers.get("content-length", "")  # the server checked its form
        if length.isdigit() and int(length) > MAX_REQUEST_BYTES:
            raise _BodyTooLarge
        return await self.run(request)

    async def _serve_socket(self, websocket: WebSocket) -> None:
        gateway = gateway_of(websocket)
        try:
            services = gateway.route(websocket.headers)
        except UnknownCooperative:
            await websocket.close()  # before accepting: the handshake is answered 403
            return
        feed = gateway.outage_feeds[services.cooperative.id]
        await self.run(websocket, context=SocketContext(services, feed))

    async def on_ws_connect(
        self, context: RequestContext | SocketContext
    ) -> UnsetType | dict[str, object] | None:
        if not isinstance(context, SocketContext) or not await context.log_in(
            _init_token(context.connection_params)
        ):
            raise ConnectionRejectionError  # closes the socket with 4403 Forbidden
        return await super().on_ws_connect(context)  # a connection_ack with no payload

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> RequestContext:
        if isinstance(request, WebSocket):
            raise TypeError("a socket's context is made by _serve_socket")
        try:
            services = gateway_of(request).route(request.headers)
        except UnknownCooperative as error:
            raise HTTPException(404, str(error)) from None
        received_at = datetime.now(UTC)
        token = bearer_token(request.headers.get("authorization"))
        principal = None if token is None else await _principal(services, token, received_at)
        return RequestContext(
            services=services,
            request=request,
            principal=principal,
            token=token,
            loaders=CisLoaders(services.adapter, batching=services.cis_batching),
            received_at=received_at,
        )

    def decode_json(self, data: str | bytes) -> object:
        # HTTP bodies were held to the limit as they came; a socket's messages are held here.
        if len(data) > MAX_REQUEST_BYTES:
            raise HTTPException(413, f"a message is over {MAX_REQUEST_BYTES} bytes")
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):  # bad JSON, bad UTF-8, or nested too deeply
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(value, dict | list):
            raise HTTPException(400, "expected a JSON object")
        return value


def _init_token(payload: dict[str, object] | None) -> str | None:
    """The bearer token of a connection_init payload's ``authorization`` (any letter case)."""
    values = [value for key, value in (payload or {}).items() if key.lower() == AUTHORIZATION]
    if len(values) != 1 or not isinstance(values[0], str):
        return None
    return bearer_token(values[0])


async def _principal(services: Services, token: str, now: datetime) -> Principal | None:
    try:
        return await authenticate(
            services.db, services.cooperative.id, token, lifetimes=services.lifetimes, now=now
        )
    except (OSError, SQLAlchemyError):
        logger.exception("cannot check a bearer token: the database failed")
        raise HTTPException(503, "the gateway's database is unavailable; try again") from None


def _limited(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises `_BodyTooLarge` once the body passes ``limit`` bytes (a
    chunked body has no Content-Length to check up front)."""
    received = 0

    async def receive_within_limit() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
        return message

    return receive_within_limit
