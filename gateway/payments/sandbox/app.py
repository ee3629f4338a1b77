"""The sandbox processor's web app: a JSON API behind ``Authorization: Bearer <api key>``.

- ``POST /v1/tokens/card``               {number, expiry_month, expiry_year, cvc} → method
- ``POST /v1/tokens/bank_account``       {routing_number, account_number} → method
- ``GET  /v1/tokens/{token}``            the method, or 404
- ``POST /v1/charges``                   {reference, token, amount} → charge (200 whether
  approved or declined; once per reference, 409 for a reference reused differently)
- ``GET  /v1/charges``                   {"charges": [...]}, oldest first
- ``GET  /v1/charges/{reference}``       the charge, or 404
- ``POST /v1/charges/{reference}/refund`` the charge, REFUNDED (409 for a declined one)

Errors answer ``{"error": message, "code": code}``: 400 invalid, 401 wrong key, 404, 409,
and 502 when the processor fails (a test card or an injected fault). Without
authentication, for tests and the demo:

- ``GET  /_sandbox/health``              liveness
- ``GET|POST /_sandbox/faults``          the injected failures (POST a partial update)
- ``GET  /_sandbox/stats``               charges counted and totalled by status

Request bodies are never logged: they hold card and account numbers.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.payments.sandbox.faults import DEFAULT_SLOW_SECONDS, FaultError, Faults
from gateway.payments.sandbox.ledger import Ledger
from gateway.payments.sandbox.methods import InvalidMethod
from gateway.payments.sandbox.service import (
    ChargeConflict,
    InvalidRequest,
    NotFound,
    ProcessorFailure,
    SandboxService,
    check_reference,
    parse_amount,
)
from gateway.payments.sandbox.wire import charge_to_json, method_to_json

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
Handler = Callable[[Request], Awaitable[Response]]


def _error(status_code: int, code: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status_code == 401 else None
    return JSONResponse({"error": message, "code": code}, status_code, headers)


async def _body(request: Request) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise InvalidRequest(f"the request is larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidRequest("the request body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidRequest("the request body must be a JSON object")
    return data


def _string(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be a string")
    return value


def _integer(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{name} must be an integer")
    return value


class _Api:
    """The ``/v1`` endpoints; each handler is wrapped by `guarded`."""

    def __init__(self, service: SandboxService, api_key: str) -> None:
        self.service = service
        self._expected = f"Bearer {api_key}".encode()

    def guarded(self, handler: Handler) -> Handler:
        """Checks the key, and turns the service's errors into JSON answers."""

        async def guarded_handler(request: Request) -> Response:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, self._expected):
                return _error(401, "unauthorized", "a valid API key is required")
            try:
                return await handler(request)
            except (InvalidRequest, InvalidMethod) as error:
                return _error(400, "invalid_request", str(error))
            except NotFound as error:
                return _error(404, "not_found", str(error))
            except ChargeConflict as error:
                return _error(409, "conflict", str(error))
            except ProcessorFailure as error:
                return _error(502, "processor_error", str(error))

        return guarded_handler

    async def card_token(self, request: Request) -> Response:
        data = await _body(request)
        number, cvc = _string(data, "number"), _string(data, "cvc")
        month, year = _integer(data, "expiry_month"), _integer(data, "expiry_year")
        return JSONResponse(method_to_json(self.service.tokenize_card(number, month, year, cvc)))

    async def bank_token(self, request: Request) -> Response:
        data = await _body(request)
        routing, account = _string(data, "routing_number"), _string(data, "account_number")
        return JSONResponse(method_to_json(self.service.tokenize_bank_account(routing, account)))

    async def describe(self, request: Request) -> Response:
        return JSONResponse(method_to_json(self.service.describe(request.path_params["token"])))

    async def charge(self, request: Request) -> Response:
        data = await _body(request)
        reference = check_reference(_string(data, "reference"))
        token, amount = _string(data, "token"), parse_amount(_string(data, "amount"))
        charge = await self.service.charge(reference, token, amount)
        logger.info("sandbox charge %s: %s %s", charge.reference, charge.status, charge.amount)
        return JSONResponse(charge_to_json(charge))

    async def find(self, request: Request) -> Response:
        return JSONResponse(charge_to_json(self.service.find(request.path_params["reference"])))

    async def refund(self, request: Request) -> Response:
        charge = await self.service.refund(request.path_params["reference"])
        return JSONResponse(charge_to_json(charge))

    async def ledger(self, _: Request) -> Response:
        return JSONResponse({"charges": [charge_to_json(c) for c in self.service.charges()]})


def _control_routes(service: SandboxService) -> list[Route]:
    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                service.faults.apply(await _body(request))
            except (FaultError, InvalidRequest) as error:
                return _error(400, "invalid_request", str(error))
        return JSONResponse(service.faults.snapshot())

    async def stats(_: Request) -> Response:
        return JSONResponse({**service.stats().as_json(), "injected": service.faults.injected})

    return [
        Route("/_sandbox/health", health, methods=["GET"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
    ]


def create_app(
    api_key: str,
    *,
    database: Path | str = ":memory:",
    slow_seconds: float = DEFAULT_SLOW_SECONDS,
    seed: int | None = None,
) -> Starlette:
    """The sandbox app; its ledger lives in ``database`` (a SQLite file, or in memory).
    Its `SandboxService` is ``app.state.service``; the caller closes ``service.ledger``."""
    if not api_key:
        raise ValueError("the sandbox processor needs an API key")
    service = SandboxService(Ledger(database), Faults(slow_seconds=slow_seconds, seed=seed))
    api = _Api(service, api_key)
    routes = [
        Route("/v1/tokens/card", api.guarded(api.card_token), methods=["POST"]),
        Route("/v1/tokens/bank_account", api.guarded(api.bank_token), methods=["POST"]),
        Route("/v1/tokens/{token}", api.guarded(api.describe), methods=["GET"]),
        Route("/v1/charges", api.guarded(api.charge), methods=["POST"]),
        Route("/v1/charges", api.guarded(api.ledger), methods=["GET"]),
        Route("/v1/charges/{reference}", api.guarded(api.find), methods=["GET"]),
        Route("/v1/charges/{reference}/refund", api.guarded(api.refund), methods=["POST"]),
        *_control_routes(service),
    ]
    app = Starlette(routes=routes)
    app.state.service = service
    return app


def service_of(app: Starlette) -> SandboxService:
    service = app.state.service
    if not isinstance(service, SandboxService):
        raise TypeError("not an app made by create_app")
    return service
