"""Mail the gateway sends on its own schedule, not the request's: a request that e-mails a
member answers at once, whether the SMTP server is quick, slow or down.

That also keeps the answer's timing from telling anyone whether a message went out (sign-up
and password reset answer the same for addresses with and without a login). A message that
cannot be sent is logged, without its content, and dropped: the member asks again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from gateway.mail import Mailer, MailError

_AFTER_THE_ANSWER = 0.05  # seconds

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Letter:
    """A message to compose: template, recipient, placeholder values."""

    template: str
    to: str
    values: Mapping[str, str] = field(repr=False)  # may hold a code or temporary password


class Outbox:
    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer
        self._sending: set[asyncio.Task[None]] = set()

    def post(self, template: str, to: str, values: Mapping[str, str]) -> None:
        """Composes the message now (a template mistake fails here, loudly) and sends it in
        the background."""
        message = self.mailer.compose(template, to, values)
        self._start(self._send(message, template))

    def _start(self, sending: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(sending)
        self._sending.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._sending.discard)

    async def _prepare_and_send(self, preparing: Coroutine[Any, Any, Letter | None]) -> None:
        # Let the answer leave first: work started at once would slow its sending down.
        await asyncio.sleep(_AFTER_THE_ANSWER)
        try:
            letter = await preparing
        except Exception:
            logger.exception("could not prepare a message")
            return
        if letter is not None:
            message = self.mailer.compose(letter.template, letter.to, letter.values)
            await self._send(message, letter.template)

    def post_after(self, preparing: Coroutine[Any, Any, Letter | None]) -> None:
        """Runs ``preparing`` (the writes behind a message, say) in the background too and
        sends the letter it returns, if any: the request answers before that work, so its
        timing says nothing about whether there was any."""
        self._start(self._prepare_and_send(preparing))

    def post_sending(self, sending: Coroutine[Any, Any, None], what: str) -> None:
        """Runs ``sending`` (a message by another channel: a text) in the background too;
        a failure is logged as ``what`` not sent, without the error's text, which may
        quote the recipient."""
        self._start(self._send_other(sending, what))

    async def _send_other(self, sending: Coroutine[Any, Any, None], what: str) -> None:
        await asyncio.sleep(_AFTER_THE_ANSWER)
        try:
            await sending
        except Exception as error:
            logger.error("could not send a %s: %s", what, type(error).__name__)
        else:
            logger.info("sent a %s", what)

    async def drain(self) -> None:
        """Waits for the messages still being sent (at shutdown)."""
        while self._sending:
            await asyncio.gather(*self._sending)

    async def _send(self, message: EmailMessage, template: str) -> None:
        try:
            await self.mailer.send(message)
        except MailError as error:
            logger.error("could not send a %s message: %s", template, error)
        else:
            logger.info("sent a %s message", template)
