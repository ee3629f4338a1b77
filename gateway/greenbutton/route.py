"""Green Button "Download My Data": ``GET /greenbutton/{accountNumber}.xml`` (an ESPI Atom
feed) and ``.csv`` (the same intervals as a table), ``?from=&to=&resolution=``.

A request is authenticated exactly as ``/graphql`` authenticates it (the GraphQL view's own
context: co-op, bearer session or personal access token, read-only ones included) and
reaches an account under the same rules: a member's other accounts answer 404 like accounts
that do not exist, staff reads are audited. Refusals are JSON in the GraphQL error shape
with a fitting status (401, 403, 404, 400, 429, 503), decided before the first byte of data.
The answer is then streamed a month at a time (``usage_slices``); if the CIS fails after
that, the answer is cut short (``Download``): the connection is closed mid-body, which HTTP
clients report as an incomplete answer.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from cross_web import HTTPException
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from adapters.errors import CisError
from gateway.context import RequestContext
from gateway.graphql_view import error_response
from gateway.greenbutton.feed import atom_feed
from gateway.greenbutton.period import export_of
from gateway.greenbutton.spreadsheet import csv_table
from gateway.greenbutton.usage_slices import account_facts, usage_slices
from resolvers.access import readable_account
from resolvers.audit import AuditNotWritten, audit_account_read
from schema.errors import CisUnavailableError, CodedError, ErrorCode

# The GraphQL view's get_context: who asks, at which co-op, with fresh loaders.
ContextOf = Callable[[Request, Response], Awaitable[RequestContext]]

_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.BAD_USER_INPUT: 400,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.CIS_UNAVAILABLE: 503,
    # Codes of logins and payments, which a download does not meet: a status each all the
    # same, so that every code has one (tests/gateway/test_greenbutton_refusals.py).
    ErrorCode.TWO_FACTOR_REQUIRED: 403,
    ErrorCode.IDEMPOTENCY_CONFLICT: 409,
    ErrorCode.PAYMENT_PROCESSOR_UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}

logger = logging.getLogger(__name__)


class Format(enum.Enum):
    XML = ("xml", "application/atom+xml; charset=utf-8")
    CSV = ("csv", "text/csv; charset=utf-8")

    @property
    def extension(self) -> str:
        return self.value[0]

    @property
    def media_type(self) -> str:
        return self.value[1]

    @property
    def priced(self) -> bool:
        """Whether the format shows each interval's estimated cost (the feed does not)."""
        return self is Format.CSV


def greenbutton_routes(context_of: ContextOf) -> list[Route]:
    def endpoint(answer_as: Format) -> Callable[[Request], Awaitable[Response]]:
        async def download(request: Request) -> Response:
            return await _download(request, context_of, answer_as)

        return download

    return [
        Route(f"/greenbutton/{{account_number}}.{answer_as.extension}", endpoint(answer_as))
        for answer_as in Format
    ]


async def _download(request: Request, context_of: ContextOf, answer_as: Format) -> Response:
    try:
        context = await context_of(request, Response())
    except HTTPException as error:  # an unknown co-op, or the database is down
        return error_response(error.status_code, error.reason)
    try:
        number = readable_account(context, request.path_params["account_number"])
        export = export_of(context, number, request.query_params)
    except CodedError as error:
        return refusal(error)
    try:
        await audit_account_read(context, number)
    except (AuditNotWritten, SQLAlchemyError, OSError):
        logger.exception("cannot audit a staff download: the database failed")
        return error_response(503, "the gateway's database is unavailable; try again")
    try:
        facts = await account_facts(context, export)
        slices = await usage_slices(context, export, facts, priced=answer_as.priced)
    except CodedError as error:
        return refusal(error)
    except CisError as error:
        logger.warning("CIS failed for a Green Button download: %s", error)
        return refusal(CisUnavailableError())
    body: AsyncIterator[bytes]
    if answer_as is Format.XML:
        body = atom_feed(context, export, facts, slices, str(request.url))
    else:
        body = csv_table(slices)
    disposition = f'attachment; filename="{export.name}.{answer_as.extension}"'
    return Download(
        body, media_type=answer_as.media_type, headers={"Content-Disposition": disposition}
    )


class Download(StreamingResponse):
    """A download streamed as the CIS is read. When the CIS fails after the answer started,
    it is cut short: a warning is logged and the response returns without the body's end.
    The server then closes the connection, so the client sees an incomplete answer (uvicorn
    notes the unfinished response in one line). Raised further, the error would reach the
    app's 500 handler, too late to answer, and the server would log its traceback."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except CisError as error:
            logger.warning("CIS failed during a Green Button download, cut short: %s", error)


def refusal(error: CodedError) -> JSONResponse:
    """The error as JSON in the GraphQL error shape, with its code's HTTP status."""
    status = _STATUS[error.code]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return error_response(status, error.message, code=error.code.value, headers=headers)
