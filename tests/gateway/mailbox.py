"""A real SMTP server (the demo's aiosmtpd sink) on a free port, and reading what it got."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from gateway.mail import SmtpSettings
from gateway.mail_sink import start_sink

SENDER = "Custer Prairie Electric <no-reply@example.coop>"


def saved(folder: Path) -> list[EmailMessage]:
    """The messages saved in ``folder``, oldest first."""
    messages = []
    for path in sorted(folder.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default_policy)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    content: str = body.get_content()
    return content


@dataclass
class Mailbox:
    folder: Path
    smtp: SmtpSettings
    notices: list[str] = field(default_factory=list)
    _read: int = 0

    async def next_message(self, to: str, within: float = 10) -> EmailMessage:
        """The next message received (after those already read), which must be to ``to``."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            messages = saved(self.folder) if self.folder.exists() else []
            if len(messages) > self._read:
                message = messages[self._read]
                self._read += 1
                assert message["To"] == to, (message["To"], message["Subject"])
                return message
            await asyncio.sleep(0.02)
        raise AssertionError(f"no message to {to} within {within} s")

    async def code(self, to: str, pattern: str) -> str:
        """A code (a temporary password, a reset code) read out of the next message: the
        pattern's first group, or all of it."""
        text = text_of(await self.next_message(to))
        found = re.search(pattern, text)
        assert found is not None, text
        return found.group(1) if found.groups() else found.group(0)

    def received(self) -> int:
        return len(saved(self.folder)) if self.folder.exists() else 0

    async def all_received(self, total: int, within: float = 5) -> list[EmailMessage]:
        """Every message received, oldest first, once there are ``total`` and no more come."""
        for _ in range(int(within / 0.02)):
            if self.received() >= total:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # anything more would be a message too many
        messages = saved(self.folder)
        assert len(messages) == total, [(m["To"], m["Subject"]) for m in messages]
        return messages


@asynccontextmanager
async def mailbox(folder: Path) -> AsyncIterator[Mailbox]:
    box = Mailbox(folder, SmtpSettings(port=0, sender=SENDER))
    server = await start_sink(folder, port=0, notify=box.notices.append)
    box.smtp = SmtpSettings(port=server.sockets[0].getsockname()[1], sender=SENDER)
    async with server:
        yield box
