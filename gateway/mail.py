"""E-mail to members and staff: messages composed from template files, sent over SMTP.

A template is two files in ``gateway/mail_templates``: ``NAME.txt``, whose first line is
``Subject: ...`` and the rest the plain-text body, and ``NAME.html``, the HTML body. Both
use ``string.Template`` placeholders (``$name``); values are escaped in the HTML part. A
message always has both parts, plain text first.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from enum import StrEnum
from pathlib import Path
from string import Template

import aiosmtplib

TEMPLATES = Path(__file__).parent / "mail_templates"
_SUBJECT = "Subject:"


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain SMTP: only for a relay on the same host (and the demo's sink)
    STARTTLS = "starttls"  # upgraded after connecting, usually port 587
    TLS = "tls"  # TLS from the start, usually port 465


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 8025
    security: SmtpSecurity = SmtpSecurity.NONE
    username: str | None = None
    password: str | None = None  # never logged
    sender: str = "Co-op Gateway <no-reply@localhost>"
    timeout_seconds: float = 30.0


class MailError(Exception):
    """The SMTP server could not be reached or refused the message."""


def compose(template: str, *, sender: str, to: str, values: Mapping[str, str]) -> EmailMessage:
    """The message of ``template`` for ``to``; raises KeyError for a placeholder not given."""
    subject_line, _, text = (TEMPLATES / f"{template}.txt").read_text().partition("\n")
    if not subject_line.startswith(_SUBJECT):
        raise ValueError(f"{template}.txt must start with a '{_SUBJECT}' line")
    escaped = {name: html.escape(value) for name, value in values.items()}
    message = EmailMessage()
    message["Subject"] = Template(subject_line.removeprefix(_SUBJECT).strip()).substitute(values)
    message["From"] = sender
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip(">") or None)
    message.set_content(Template(text.lstrip("\n")).substitute(values))
    html_body = (TEMPLATES / f"{template}.html").read_text()
    message.add_alternative(Template(html_body).substitute(escaped), subtype="html")
    return message


class Mailer:
    """Sends messages through the configured SMTP server."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def compose(self, template: str, to: str, values: Mapping[str, str]) -> EmailMessage:
        return compose(template, sender=self.settings.sender, to=to, values=values)

    async def send(self, message: EmailMessage) -> None:
        smtp = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=smtp.host,
                port=smtp.port,
                username=smtp.username,
                password=smtp.password,
                use_tls=smtp.security is SmtpSecurity.TLS,
                start_tls=smtp.security is SmtpSecurity.STARTTLS,
                timeout=smtp.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            # The server's reply, never the credentials.
            raise MailError(f"{smtp.host}:{smtp.port}: {type(error).__name__}: {error}") from None
