"""The CIS simulator's web app: the SOAP endpoint, its contract files and the ``/_sim`` knobs.

- ``GET  /cis?wsdl``            the WSDL, its service address and schema import pointing here;
- ``GET  /cis?xsd=cis.xsd``     the schema the WSDL imports;
- ``POST /cis``                 SOAP 1.1 calls; the Body's element names the operation;
- ``GET|POST /_sim/control``    the run-time knobs (POST a partial JSON update);
- ``GET  /_sim/stats``          calls, keys/items and faults per operation;
- ``GET  /_sim/sample?n=5``     a few members to try the gateway with;
- ``GET  /_sim/health``         liveness of the simulator itself;
- ``POST /_sim/outages/{id}``   moves a live outage on: new ETR, crew status, restored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from adapters.cis_soap import operations
from adapters.cis_soap.contract_files import WSDL_PATH, XSD_PATH, request_schema
from adapters.cis_soap.simulator.control import (
    ControlError,
    Controls,
    Failure,
    SimulatorSettings,
    outage_change,
)
from adapters.cis_soap.simulator.dispatch import check_batch_size, dispatch, item_count
from adapters.cis_soap.simulator.soap import (
    SoapFault,
    authenticate,
    fault_envelope,
    invalid_request,
    parse_envelope,
    response_envelope,
    serialize,
    validate,
)
from adapters.contract import CisAdapter
from adapters.errors import CisFault
from adapters.records import CrewStatus, OutageEvent, OutageStatus

logger = logging.getLogger(__name__)

_XML = "text/xml; charset=utf-8"
_XS = "http://www.w3.org/2001/XMLSchema"
_WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
_SCHEMA_FILES = {XSD_PATH.name: XSD_PATH}
# What a failing web server in front of a CIS typically answers: not SOAP at all.
_ERROR_PAGE = "<html><body><h1>500 Internal Server Error</h1></body></html>"


class SimulatorBackend(CisAdapter, Protocol):
    def sample(self, n: int) -> Sequence[Any]:
        """``n`` members (dataclasses) whose data exercises the whole contract."""

    def hold_payments(self, account_numbers: Iterable[str]) -> None:
        """From now on the CIS refuses payments on these accounts (and only these)."""

    async def advance_outage(
        self,
        outage_event_id: str,
        *,
        status: OutageStatus | None = None,
        crew_status: CrewStatus | None = None,
        estimated_restoration: datetime | None = None,
    ) -> OutageEvent:
        """Move a live outage on; ``CisFault`` for an unknown one (FAULT_UNKNOWN_OBJECT)
        or one that is not live (FAULT_INVALID_REQUEST), its reason fit to show."""


def _contract_file(path: Path, service_url: str) -> bytes:
    """A contract file whose service address and schema locations point at this server."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.parse(str(path), parser)
    for address in tree.iter(f"{{{_WSDL_SOAP}}}address"):
        address.set("location", service_url)
    for reference in tree.iter(f"{{{_XS}}}import", f"{{{_XS}}}include"):
        location = reference.get("schemaLocation")
        if location in _SCHEMA_FILES:
            reference.set("schemaLocation", f"{service_url}?xsd={location}")
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


async def _contract(request: Request) -> Response:
    service_url = str(request.url.replace(query="", fragment=""))
    if "wsdl" in request.query_params:
        return Response(_contract_file(WSDL_PATH, service_url), media_type=_XML)
    schema = _SCHEMA_FILES.get(request.query_params.get("xsd", ""))
    if schema is not None:
        return Response(_contract_file(schema, service_url), media_type=_XML)
    return Response("GET /cis?wsdl for the WSDL", status_code=404, media_type="text/plain")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    too_large = invalid_request(f"the request is larger than {limit} bytes")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


def _xml_response(envelope: etree._Element, status_code: int, message_id: str | None) -> Response:
    headers = {}
    # Echo the caller's messageId for its logs, when it is a safe header value.
    if message_id and message_id.isascii() and message_id.isprintable() and len(message_id) < 200:
        headers["X-Cis-Message-Id"] = message_id
    return Response(serialize(envelope), status_code, headers, media_type=_XML)


class _SoapEndpoint:
    def __init__(self, backend: CisAdapter, controls: Controls) -> None:
        self.backend = backend
        self.controls = controls
        self.schema = request_schema()

    async def handle(self, request: Request) -> Response:
        controls = self.controls
        await controls.wait_while_hanging()
        name: str | None = None
        message_id: str | None = None
        try:
            call = parse_envelope(await _read_body(request, controls.settings.max_request_bytes))
            name, message_id = call.name, call.message_id
            items = item_count(call.operation, name)
            controls.count_call(name, items)
            await asyncio.sleep(controls.delay(items))
            failure = controls.draw_failure(name)
            if failure is Failure.HTTP_ERROR:
                controls.count_fault(name)
                return HTMLResponse(_ERROR_PAGE, status_code=500)
            if failure is Failure.SOAP_FAULT:
                raise SoapFault(operations.FAULT_SERVER_BUSY, "the CIS is busy; try again later")
            authenticate(call, controls.settings.user_id, controls.settings.password)
            check_batch_size(call.operation, name, controls.max_batch_size)
            validate(call, self.schema)
            envelope, answer = response_envelope(name)
            await dispatch(self.backend, call.operation, name, answer)
            return _xml_response(envelope, 200, message_id)
        except (SoapFault, CisFault) as fault:
            return self._fault(SoapFault(fault.code, fault.reason, fault.subject), name, message_id)
        except Exception:
            logger.exception("CIS simulator: %s failed", name)
            internal = SoapFault(operations.FAULT_SERVER, "the CIS could not answer the request")
            return self._fault(internal, name, message_id)

    def _fault(self, fault: SoapFault, name: str | None, message_id: str | None) -> Response:
        if name is not None:
            self.controls.count_fault(name)
        # SOAP 1.1 answers every Fault with HTTP 500, the client's ones included.
        return _xml_response(fault_envelope(fault), 500, message_id)


# How the outage route answers the backend's refusals: an unknown outage, one not live.
_OUTAGE_REFUSALS = {operations.FAULT_UNKNOWN_OBJECT: 404, operations.FAULT_INVALID_REQUEST: 409}


def _outage_route(backend: SimulatorBackend) -> Callable[[Request], Awaitable[Response]]:
    """``POST /_sim/outages/{id}``: moves a live outage on (``control.outage_change``) and
    answers it as it now is; 404 for an unknown outage, 409 for one that is not live (a
    restored one, or a planned one: those keep to the schedule the seed gave them)."""

    async def advance(request: Request) -> Response:
        event_id = request.path_params["outage_event_id"]
        try:
            update = json.loads(await request.body())
            if not isinstance(update, dict):
                raise ControlError("the change must be a JSON object")
            change = outage_change(update)
        except (ControlError, json.JSONDecodeError, UnicodeDecodeError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        try:
            event = await backend.advance_outage(
                event_id,
                status=change.status,
                crew_status=change.crew_status,
                estimated_restoration=change.estimated_restoration,
            )
        except CisFault as fault:
            status_code = _OUTAGE_REFUSALS.get(fault.code)
            if status_code is None:
                raise
            return JSONResponse({"error": fault.reason}, status_code=status_code)
        etr = event.estimated_restoration
        return JSONResponse(
            {
                "outage_event_id": event.outage_event_id,
                "status": event.status.name,
                "crew_status": event.crew_status.name,
                "estimated_restoration": None if etr is None else etr.isoformat(),
                "sequence": event.sequence,
            }
        )

    return advance


def _control_routes(backend: SimulatorBackend, controls: Controls) -> list[Route]:
    async def control(request: Request) -> Response:
        if request.method == "POST":
            try:
                update = json.loads(await request.body())
                if not isinstance(update, dict):
                    raise ControlError("the update must be a JSON object")
                await controls.apply(update)
            except (ControlError, json.JSONDecodeError, UnicodeDecodeError) as error:
                return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(controls.snapshot())

    async def stats(_: Request) -> Response:
        return JSONResponse(controls.stats_snapshot())

    async def sample(request: Request) -> Response:
        n = request.query_params.get("n", "5")
        if not n.isdigit() or int(n) < 1:
            return JSONResponse({"error": "n must be a positive integer"}, status_code=400)
        try:
            members = backend.sample(int(n))
        except ValueError as error:  # more than the simulated co-op has
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse([dataclasses.asdict(member) for member in members])

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def payment_holds(request: Request) -> Response:
        try:
            numbers = json.loads(await request.body()).get("accounts")
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            numbers = None
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            return JSONResponse({"error": 'give {"accounts": [account numbers]}'}, 400)
        backend.hold_payments(numbers)
        return JSONResponse({"accounts": sorted(set(numbers))})

    return [
        Route("/_sim/control", control, methods=["GET", "POST"]),
        Route("/_sim/stats", stats, methods=["GET"]),
        Route("/_sim/sample", sample, methods=["GET"]),
        Route("/_sim/health", health, methods=["GET"]),
        Route("/_sim/outages/{outage_event_id}", _outage_route(backend), methods=["POST"]),
        Route("/_sim/payment-holds", payment_holds, methods=["POST"]),
    ]


def create_app(backend: SimulatorBackend, *, settings: SimulatorSettings) -> Starlette:
    """The simulator app over ``backend``; its ``Controls`` are ``app.state.controls``."""
    controls = Controls(settings)
    routes = [
        Route("/cis", _contract, methods=["GET"]),
        Route("/cis", _SoapEndpoint(backend, controls).handle, methods=["POST"]),
        *_control_routes(backend, controls),
    ]
    app = Starlette(routes=routes)
    app.state.controls = controls
    return app


def create_control_app(backend: SimulatorBackend, controls: Controls) -> Starlette:
    """Only the ``/_sim`` endpoints, for a control port that stays open during outages."""
    return Starlette(routes=_control_routes(backend, controls))


def controls_of(app: Starlette) -> Controls:
    controls = app.state.controls
    if not isinstance(controls, Controls):
        raise TypeError("not an app made by create_app")
    return controls
