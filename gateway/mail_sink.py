"""``coop-gateway mail-sink``: a local SMTP server that keeps every message as a file.

For the demo and for development: it accepts any message on 127.0.0.1 (port 8025 by
default), saves it as ``NNNN-<timestamp>.eml`` in a folder (``var/mail`` in the demo), and
prints one line per message. It never delivers anything anywhere.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

DEFAULT_PORT = 8025


class SavingHandler:
    """aiosmtpd's handler: each message to a file of its own, then a notice."""

    def __init__(self, folder: Path, notify: Callable[[str], None] = print) -> None:
        self.folder = folder
        self.notify = notify
        folder.mkdir(parents=True, exist_ok=True)
        self._numbers = itertools.count(len(list(folder.glob("*.eml"))) + 1)

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.folder / f"{next(self._numbers):04d}-{stamp}.eml"
        path.write_bytes(content)
        subject = message_from_bytes(content, policy=default_policy).get("Subject", "")
        self.notify(f"mail to {', '.join(envelope.rcpt_tos)}: {subject!s} -> {path}")
        return "250 Message accepted for delivery"


async def start_sink(
    folder: Path,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    notify: Callable[[str], None] = print,
) -> asyncio.Server:
    """Listens until the returned server is closed; port 0 picks a free one."""
    handler = SavingHandler(folder, notify)
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(handler, hostname=host), host, port)


async def run_sink(folder: Path, host: str, port: int) -> None:
    server = await start_sink(folder, host, port)
    print(f"mail sink on {host}:{port}, saving messages to {folder}/", flush=True)
    async with server:
        await server.serve_forever()
