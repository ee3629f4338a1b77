"""The payment flows' refusals, as the client sees them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gateway.payments.processor import ProcessorUnavailable
from gateway.payments.requests import IdempotencyConflict, PaymentRefused
from schema.errors import BadUserInput, IdempotencyConflictError, ProcessorUnavailableError


@contextmanager
def payment_refusals() -> Iterator[None]:
    try:
        yield
    except PaymentRefused as error:
        raise BadUserInput(str(error)) from None
    except IdempotencyConflict as error:
        raise IdempotencyConflictError(str(error)) from None
    except ProcessorUnavailable:
        raise ProcessorUnavailableError() from None
