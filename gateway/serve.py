"""``coop-gateway serve``: the gateway on uvicorn (uvloop, httptools), in one or more workers."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from gateway.cooperatives import CooperativeError, load_cooperatives
from gateway.logs import configure_logging, logging_config
from gateway.runtime import DatabaseNotReady, check_schema
from gateway.settings import Settings
from gateway.store.database import create_engine

# Each worker process builds its own app from the environment.
APP_FACTORY = "gateway.app:create_app_from_environ"
# How long a stopping server lets requests in flight finish.
GRACEFUL_SHUTDOWN_SECONDS = 10


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings for the gateway, shared by ``serve`` and the demo."""
    return {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
        "ws": "websockets-sansio",  # subscriptions (graphql-transport-ws) on /graphql
        "ws_max_size": 64 * 1024,  # frames past it close the socket; a message is ~1 KiB
        "lifespan": "on",
        "log_config": logging_config(settings.log_level),
        "access_log": False,  # it prints query strings; gateway.access_log does not
        "server_header": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }


def serve(settings: Settings) -> None:
    """Serves until SIGINT or SIGTERM. Exits with a message, before listening, when a co-op
    file is broken or the database is unreachable or not migrated."""
    configure_logging(settings.log_level)
    try:
        load_cooperatives(settings.cooperatives, settings.default_cooperative)
        asyncio.run(_check_database(settings.database_url))
    except (CooperativeError, DatabaseNotReady) as error:
        sys.exit(f"coop-gateway serve: {error}")
    except (OSError, SQLAlchemyError) as error:
        sys.exit(f"coop-gateway serve: cannot reach the database: {error}")
    uvicorn.run(APP_FACTORY, factory=True, workers=settings.workers, **server_options(settings))


async def _check_database(url: str) -> None:
    engine = create_engine(url)
    try:
        await check_schema(engine)
    finally:
        await engine.dispose()
