"""A GraphQL WebSocket's incoming messages, held to what graphql-transport-ws allows.

Strawberry's handler trusts a message's shape once it is JSON: a subscribe whose payload
is a string, or a message that is a list, fails inside it and ends the connection with an
internal error. Here every message must be a JSON object of the protocol's shape (and no
larger than an HTTP request may be, ``MAX_REQUEST_BYTES``), else the socket is closed with
4400, as the protocol says for invalid messages.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

from cross_web import HTTPException
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import NonJsonMessageReceived


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
