"""Text messages: the `SmsSender` contract and the bundled sender, which mails the text to the
phone's e-mail-to-SMS gateway address (``5551234567@vtext.com``) over the gateway's SMTP
server, so a co-op needs no SMS provider to start with.

A provider (an HTTP API) plugs in as another `SmsSender`, returned by `sms_sender`; it reads
the phone number from the contact's address (the part before ``@``).
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

from gateway.context import Services
from gateway.mail import Mailer, MailError
from gateway.notifications.failures import Failure, described, mail_failure


class SmsError(Exception):
    """The text could not be handed over; the message says why (never its content nor the
    address), ``failure`` whether the address or the provider is to blame."""

    def __init__(self, message: str, failure: Failure = Failure.SERVER) -> None:
        super().__init__(message)
        self.failure = failure


class SmsSender(Protocol):
    async def send(self, to: str, text: str) -> None:
        """Sends ``text`` to the contact's SMS address; raises `SmsError` when it cannot (a
        number that can never take texts: with ``Failure.ADDRESS_REFUSED``)."""


class EmailToSmsSender:
    """Texts as plain e-mails, without subject or HTML, which carriers' gateways pass on."""

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer

    async def send(self, to: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = self.mailer.settings.sender
        message["To"] = to
        message.set_content(text)
        try:
            await self.mailer.send(message)
        except MailError as error:
            raise SmsError(described(error), mail_failure(error)) from None


def sms_sender(services: Services) -> SmsSender:
    """The co-op's SMS sender: the e-mail-to-SMS gateways, through its mail server."""
    return EmailToSmsSender(services.outbox.mailer)
