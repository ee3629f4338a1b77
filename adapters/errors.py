"""Typed errors every CIS adapter raises, whatever went wrong on the wire."""

from __future__ import annotations


class CisError(Exception):
    """Base class: the CIS could not answer a request."""


class CisUnavailable(CisError):
    """The CIS cannot be reached, answers with server errors, or the circuit breaker is open."""


class CisTimeout(CisUnavailable):
    """The CIS did not answer before the call's deadline."""


class CisFault(CisError):
    """The CIS refused a request with a fault that names a code, the object and the reason."""

    def __init__(self, code: str, reason: str, subject: str | None = None) -> None:
        super().__init__(f"{code}: {reason}" + (f" ({subject})" if subject else ""))
        self.code = code
        self.reason = reason
        self.subject = subject


class CisRefused(CisFault):
    """The CIS refused the request for what it asks (an unknown or closed account, an account
    on payment hold, an invalid amount): asking again gets the same answer. Other faults (a
    failed login, say) may pass once someone acts, and are not final."""


class BatchTooLarge(CisFault):
    """A batch had more keys than the CIS accepts in one call."""
