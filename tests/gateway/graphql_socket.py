"""A graphql-transport-ws client for the tests: a real WebSocket to the gateway's /graphql."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")
WAIT_SECONDS = 10  # for an answer the test expects; callers wanting less wrap asyncio.timeout
Message = dict[str, Any]


def socket_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


@asynccontextmanager
async def graphql_socket(
    http_url: str, headers: dict[str, str] | None = None, query_string: str = ""
) -> AsyncIterator[ClientConnection]:
    """An open WebSocket to the gateway's /graphql (``?query_string`` when given), nothing
    sent yet."""
    async with connect(
        socket_url(http_url) + (f"?{query_string}" if query_string else ""),
        subprotocols=[PROTOCOL],
        additional_headers=headers,
        proxy=None,
        compression=None,
        open_timeout=30,
    ) as socket:
        yield socket


async def send(socket: ClientConnection, message: Message) -> None:
    await socket.send(json.dumps(message))


async def receive(socket: ClientConnection) -> Message:
    async with asyncio.timeout(WAIT_SECONDS):
        message: Message = json.loads(await socket.recv())
    return message


async def initialize(socket: ClientConnection, token: str) -> None:
    """connection_init with the login's token; asserts the connection_ack."""
    await send(socket, {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    assert await receive(socket) == {"type": "connection_ack"}


async def subscribe(
    socket: ClientConnection, operation_id: str, query: str, variables: dict[str, Any] | None = None
) -> None:
    payload = {"query": query, "variables": variables or {}}
    await send(socket, {"type": "subscribe", "id": operation_id, "payload": payload})


async def until(
    socket: ClientConnection, matches: Callable[[Message], bool], seen: list[Message]
) -> Message:
    """The first message that ``matches``; every message read is added to ``seen``."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            message: Message = json.loads(await socket.recv())
            seen.append(message)
            if matches(message):
                return message


async def seen_or_until(
    socket: ClientConnection, matches: Callable[[Message], bool], seen: list[Message]
) -> Message:
    """The first message of ``seen`` that ``matches``, else ``until`` one comes."""
    found = next((message for message in seen if matches(message)), None)
    return found if found is not None else await until(socket, matches, seen)


async def close_code(socket: ClientConnection) -> int | None:
    """The code the server closed the socket with."""
    async with asyncio.timeout(WAIT_SECONDS):
        await socket.wait_closed()
    return socket.close_code
