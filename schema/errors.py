"""GraphQL errors with a stable ``extensions.code`` clients can switch on."""

from __future__ import annotations

import enum

from graphql import GraphQLError


class ErrorCode(enum.StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CIS_UNAVAILABLE = "CIS_UNAVAILABLE"
    RATE_LIMITED = "RATE_LIMITED"
    TWO_FACTOR_REQUIRED = "TWO_FACTOR_REQUIRED"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    PAYMENT_PROCESSOR_UNAVAILABLE = "PAYMENT_PROCESSOR_UNAVAILABLE"
    INTERNAL = "INTERNAL"


class CodedError(GraphQLError):
    """An error whose message and code are meant for the client as they are."""

    code: ErrorCode

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": self.code.value})


class Unauthenticated(CodedError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str = "log in first") -> None:
        super().__init__(message)


class Forbidden(CodedError):
    code = ErrorCode.FORBIDDEN


class NotFound(CodedError):
    code = ErrorCode.NOT_FOUND


class BadUserInput(CodedError):
    code = ErrorCode.BAD_USER_INPUT


class CisUnavailableError(CodedError):
    code = ErrorCode.CIS_UNAVAILABLE

    def __init__(self, message: str = "the co-op's billing system is not answering") -> None:
        super().__init__(message)


class RateLimited(CodedError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, message: str = "too many attempts from this address: wait a minute") -> None:
        super().__init__(message)


class TwoFactorRequiredError(CodedError):
    code = ErrorCode.TWO_FACTOR_REQUIRED

    def __init__(
        self, message: str = "enter the code from your authenticator app (or a recovery code)"
    ) -> None:
        super().__init__(message)


class IdempotencyConflictError(CodedError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT


class ProcessorUnavailableError(CodedError):
    code = ErrorCode.PAYMENT_PROCESSOR_UNAVAILABLE

    def __init__(
        self, message: str = "the payment processor is not answering; nothing was charged"
    ) -> None:
        super().__init__(message)
