"""Probes: ``GET /healthz`` (the process answers) and ``GET /readyz`` (it can serve).

Ready means the database answers at the schema this code needs and every co-op's CIS
answers ``PingURL``. A failing check is named with a short reason (``unreachable``,
``timed out``, a fault code), never an error text: those can carry host names, URLs or
statements. The details go to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse

from adapters.contract import CisAdapter
from adapters.errors import CisError, CisFault, CisTimeout
from gateway.runtime import DatabaseNotReady, check_schema, gateway_of

# Each check's own bound: a probe must answer before the orchestrator gives up on it.
CHECK_TIMEOUT = 3.0
OK = "ok"

logger = logging.getLogger(__name__)


async def healthz(_request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    gateway = gateway_of(request)
    checks: dict[str, Awaitable[str]] = {
        "database": _database(gateway.engine),
        **{
            f"cis:{cooperative_id}": _cis(services.adapter)
            for cooperative_id, services in gateway.services.items()
        },
    }
    results = await asyncio.gather(*(_bounded(name, check) for name, check in checks.items()))
    outcome = dict(zip(checks, results, strict=True))
    ready = all(result == OK for result in results)
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": outcome},
        status_code=200 if ready else 503,
    )


async def _bounded(name: str, check: Awaitable[str]) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            result = await check
    except TimeoutError:
        result = "timed out"
    except Exception:
        # A probe answers whatever happens: an unexpected failure is "error", logged in full.
        logger.exception("readiness check %s failed unexpectedly", name)
        return "error"
    if result != OK:
        logger.warning("not ready: %s %s", name, result)
    return result


async def _database(engine: AsyncEngine) -> str:
    try:
        await check_schema(engine)
    except DatabaseNotReady as error:
        logger.warning("%s", error)
        return "not migrated"
    except (OSError, SQLAlchemyError) as error:
        logger.warning("database check: %s", error)
        return "unreachable"
    return OK


async def _cis(adapter: CisAdapter) -> str:
    try:
        await adapter.ping()
    except CisTimeout:
        return "timed out"
    except CisFault as fault:
        return f"fault {fault.code}"
    except CisError as error:
        logger.warning("CIS check: %s", error)
        return "unavailable"
    return OK
