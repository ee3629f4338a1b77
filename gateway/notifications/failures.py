"""Why a message did not go, as delivery needs to know it, and how logs may say it.

A mail server's answer to the recipient (RCPT) is about that address: a 5xx refuses it for
good, a 4xx asks to try it later. Anything else (the server unreachable, refusing the
sender or the message, timing out) is the server's trouble, for every address. Error texts
are logged and kept (``last_error``) without addresses: a server's reply quotes them.
"""

from __future__ import annotations

import re
from enum import Enum

import aiosmtplib


class Failure(Enum):
    ADDRESS_REFUSED = "address refused"  # never try this address with this news again
    ADDRESS_LATER = "address later"  # this address, at the next attempt
    SERVER = "server"  # the server or the way to it: stop sending for now


_ADDRESS = re.compile(r"[^\s'\"<>(),;:\[\]]+@[^\s'\"<>(),;:\[\]]+")
_PHONE = re.compile(r"\d{7,}")
_CHAIN_LIMIT = 5  # errors wrapped in errors: a few levels at most


def mail_failure(error: BaseException) -> Failure:
    """What the SMTP error behind ``error`` (a `MailError`, or an error raised from one)
    says. `MailError` hides it from tracebacks (``from None``) but keeps it as context."""
    cause = error.__context__
    for _ in range(_CHAIN_LIMIT):
        if cause is None:
            break
        if isinstance(cause, aiosmtplib.SMTPRecipientsRefused):
            codes = [refusal.code for refusal in cause.recipients]
            permanent = bool(codes) and all(500 <= code < 600 for code in codes)
            return Failure.ADDRESS_REFUSED if permanent else Failure.ADDRESS_LATER
        cause = cause.__context__
    return Failure.SERVER


def described(error: BaseException) -> str:
    """The error's type and text with addresses and phone numbers blanked out."""
    text = _ADDRESS.sub("<address>", f"{type(error).__name__}: {error}")
    return _PHONE.sub("<number>", text)
