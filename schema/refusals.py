"""The identity flows' and notification settings' refusals, as the client sees them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from gateway.auth.access_tokens import TooManyTokens
from gateway.auth.credentials import CredentialRefused
from gateway.auth.email_change import InvalidEmail, checked_email
from gateway.auth.password_policy import WeakPassword
from gateway.auth.registration import AccountNotProven
from gateway.notifications.errors import NotificationRefused
from schema.errors import BadUserInput


@contextmanager
def refusals_as_bad_input() -> Iterator[None]:
    """The flows' refusals are the client's to fix: BAD_USER_INPUT with their message."""
    try:
        yield
    except (
        WeakPassword,
        CredentialRefused,
        AccountNotProven,
        InvalidEmail,
        NotificationRefused,
        TooManyTokens,
    ) as error:
        raise BadUserInput(str(error)) from None


def email_address(text: str) -> str:
    """``text`` as logins keep addresses; BAD_USER_INPUT when it is not one."""
    with refusals_as_bad_input():
        return checked_email(text)
