"""Per-request policies over the shared parse and validation caches, and error codes.

``ValidationCache`` shares validation results across users, so nothing here changes what
is cached: who may introspect is decided after validation, per request, and suggestions
("Did you mean ...?") are cut from a copy of each error sent to anyone but staff.

Every error leaves with ``extensions.code``: our own errors keep theirs, a CIS failure
is CIS_UNAVAILABLE, a request that does not parse, validate or coerce is BAD_USER_INPUT,
and anything else is masked to INTERNAL with no message of its own (it is logged).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import suppress

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types import ExecutionResult, StreamExecutionResult

from adapters.errors import CisError
from gateway.context import RequestContext
from resolvers.access import is_staff
from schema.errors import CisUnavailableError, CodedError, ErrorCode, Forbidden

logger = logging.getLogger(__name__)

_INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)
INTERNAL_MESSAGE = "internal error"


class ParserCacheWithErrors(ParserCache):
    """``ParserCache``, but a query that does not parse is left to strawberry's own parse,
    which reports it as an error of the result (the cache's error would skip ``ErrorPolicy``).
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with suppress(GraphQLError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class IntrospectionPolicy(SchemaExtension):
    """Introspection (``__schema``, ``__type``) is for staff; ``__typename`` is for all."""

    def on_execute(self) -> Iterator[None]:
        # After (cached) validation, before execution: a result set here is not executed.
        context = self.execution_context
        document = context.graphql_document
        if document is not None and _introspects(document) and not _staff_request(context.context):
            forbidden = Forbidden("introspection is for co-op staff")
            context.result = GraphQLExecutionResult(data=None, errors=[forbidden])
        yield


class ErrorPolicy(SchemaExtension):
    """Gives every error of the result a stable code, masks unexpected ones, and drops
    field suggestions for anyone but staff.

    A streamed result (each push of a subscription) is coded as it leaves; any other
    result when its operation ends. The last pushed result is also the operation's
    result, and is not coded twice."""

    _streamed = False  # set on the instance, which serves one operation

    def on_operation(self) -> Iterator[None]:
        yield
        if self._streamed:
            return  # coded push by push
        result = self.execution_context.result
        if isinstance(result, GraphQLExecutionResult | ExecutionResult) and result.errors:
            result.errors = self._client_errors(result.errors)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        self._streamed = True
        if isinstance(result, ExecutionResult) and result.errors:
            result.errors = self._client_errors(result.errors)
        yield

    def _client_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        suggest = _staff_request(self.execution_context.context)
        return [client_error(error, suggest=suggest) for error in errors]


def error_code(error: GraphQLError) -> ErrorCode:
    original = error.original_error
    if isinstance(error, CodedError):
        return error.code
    if isinstance(original, CodedError):
        return original.code
    if isinstance(original, CisError):
        return ErrorCode.CIS_UNAVAILABLE
    # Parsing, validation and variable coercion: the request's own mistakes, with no path.
    if error.path is None and (original is None or isinstance(original, GraphQLError | ValueError)):
        return ErrorCode.BAD_USER_INPUT
    return ErrorCode.INTERNAL


def client_error(error: GraphQLError, *, suggest: bool) -> GraphQLError:
    """A copy of ``error`` fit to send: coded, masked or cut as its code says."""
    code = error_code(error)
    message = error.message
    if code is ErrorCode.INTERNAL:
        message = INTERNAL_MESSAGE
    elif code is ErrorCode.CIS_UNAVAILABLE and not isinstance(error, CodedError):
        message = CisUnavailableError().message
    elif code is ErrorCode.BAD_USER_INPUT and not suggest:
        message = _SUGGESTION.sub("", message)
    return GraphQLError(
        message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        extensions={"code": code.value},
    )


def log_errors(errors: list[GraphQLError]) -> None:
    """Logs what the client will not see: unexpected errors in full, CIS failures briefly."""
    for error in errors:
        code = error_code(error)
        if code is ErrorCode.INTERNAL:
            logger.error("unexpected error at %s", error.path, exc_info=error.original_error)
        elif code is ErrorCode.CIS_UNAVAILABLE:
            logger.warning("CIS failed at %s: %s", error.path, error.original_error)


def _staff_request(context: object) -> bool:
    return isinstance(context, RequestContext) and is_staff(context)


def _introspects(document: DocumentNode) -> bool:
    return any(
        _selects_introspection(definition.selection_set)
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
    )


def _selects_introspection(selection_set: SelectionSetNode | None) -> bool:
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value in _INTROSPECTION_FIELDS:
            return True
        if isinstance(selection, FieldNode | InlineFragmentNode) and _selects_introspection(
            selection.selection_set
        ):
            return True
    return False
