"""Which operations each transport serves.

HTTP serves queries and mutations; the WebSocket serves subscriptions only. A socket's
context lives as long as the connection (``gateway.socket_context``): it has none of the
per-request loaders, "now", client address or audit trail that queries and mutations are
built on, so they stay on HTTP with every check they have there. An operation sent over
the wrong transport is BAD_USER_INPUT and is not run.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from gateway.socket_context import SocketContext
from schema.errors import BadUserInput

SUBSCRIPTIONS_OVER_SOCKET = (
    "subscriptions are served over a WebSocket at /graphql (graphql-transport-ws)"
)
QUERIES_OVER_HTTP = "the WebSocket serves subscriptions only: send queries and mutations over HTTP"


class TransportPolicy(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        # Before execution: a result set here is the answer, and nothing is executed.
        context = self.execution_context
        over_socket = isinstance(context.context, SocketContext)
        subscribing = context.operation_type is OperationType.SUBSCRIPTION
        if over_socket != subscribing:
            refusal = BadUserInput(SUBSCRIPTIONS_OVER_SOCKET if subscribing else QUERIES_OVER_HTTP)
            context.result = GraphQLExecutionResult(data=None, errors=[refusal])
        yield
