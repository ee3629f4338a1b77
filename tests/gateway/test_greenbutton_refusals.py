"""A Green Button download refused with any coded error answers with its code's status: a
code added without one fails here (the download test meets the common codes over HTTP)."""

from __future__ import annotations

import json

import pytest

from gateway.greenbutton.route import refusal
from schema.errors import CodedError, ErrorCode


def coded(code: ErrorCode) -> CodedError:
    error_type = type(f"Coded{code.name}", (CodedError,), {"code": code})
    error: CodedError = error_type("refused")
    return error


@pytest.mark.parametrize("code", list(ErrorCode))
def test_every_code_has_a_status(code: ErrorCode) -> None:
    response = refusal(coded(code))
    assert 400 <= response.status_code < 600
    assert json.loads(bytes(response.body)) == {
        "errors": [{"message": "refused", "extensions": {"code": code.value}}]
    }


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (ErrorCode.UNAUTHENTICATED, 401),
        (ErrorCode.NOT_FOUND, 404),
        (ErrorCode.RATE_LIMITED, 429),
        (ErrorCode.INTERNAL, 500),
        (ErrorCode.CIS_UNAVAILABLE, 503),
    ],
)
def test_statuses(code: ErrorCode, status: int) -> None:
    assert refusal(coded(code)).status_code == status
