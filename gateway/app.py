"""The gateway's ASGI application: ``/graphql``, Green Button downloads, the health probes,
and its lifespan."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute

from gateway.access_log import AccessLog
from gateway.cooperatives import Cooperatives, load_cooperatives
from gateway.graphql_view import GraphQLView, error_response
from gateway.greenbutton.route import greenbutton_routes
from gateway.health import healthz, readyz
from gateway.runtime import start_gateway
from gateway.settings import Settings
from schema.root import build_schema

logger = logging.getLogger(__name__)


def create_app(settings: Settings, *, cooperatives: Cooperatives | None = None) -> Starlette:
    """The gateway for ``settings``. The co-op files are read now (a broken one raises
    `CooperativeError` before anything listens) unless ``cooperatives`` are given; the
    database and CIS adapters open when the app starts, and starting fails with
    `DatabaseNotReady` on a database that is not migrated."""
    if cooperatives is None:
        cooperatives = load_cooperatives(settings.cooperatives, settings.default_cooperative)
    served = cooperatives

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[Mapping[str, Any]]:
        async with start_gateway(settings, served) as gateway:
            yield {"gateway": gateway}

    graphql = GraphQLView(build_schema())
    return Starlette(
        routes=[
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),  # subscriptions (graphql-transport-ws)
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            # Authenticated as /graphql is, by the same view's request context.
            *greenbutton_routes(graphql.get_context),
        ],
        middleware=[Middleware(AccessLog)],
        exception_handlers={Exception: _internal_error},
        lifespan=lifespan,
    )


def create_app_from_environ() -> Starlette:
    """`create_app` with settings from ``COOP_GATEWAY_*``: the factory each worker of
    ``coop-gateway serve`` imports."""
    return create_app(Settings.from_environ(os.environ))


async def _internal_error(_request: Request, _error: Exception) -> Response:
    # Starlette has logged the traceback; the client learns nothing of the internals.
    return error_response(500, "internal error")
