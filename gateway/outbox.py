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
        self._background(self.mailer.send(message), f"sending a {template} message", wait=False)

    def post_after(self, preparing: Coroutine[Any, Any, Letter]) -> None:
        """Runs ``preparing`` (the writes behind a message, say) in the background too and
        sends the letter it returns: the request answers before that work, so its timing
        says nothing about whether there was any."""
        self._background(self._post_prepared(preparing), "preparing a message")

    def post_sending(self, sending: Coroutine[Any, Any, None], what: str) -> None:
        """Runs ``sending`` (a message by another channel: a text) in the background too."""
        self._background(sending, f"sending a {what}")

    async def _post_prepared(self, preparing: Coroutine[Any, Any, Letter]) -> None:
        letter = await preparing
        self.post(letter.template, letter.to, letter.values)

    def _background(self, work: Coroutine[Any, Any, None], what: str, *, wait: bool = True) -> None:
        """Runs ``work`` in the background, once the answer has left unless ``wait`` is
        False; a failure is logged as ``what`` failing, with the mail server's reply or else
        only the error's type (its text may quote the recipient)."""

        async def run() -> None:
            if wait:  # work started at once would slow the answer's sending down
                await asyncio.sleep(_AFTER_THE_ANSWER)
            try:
                await work
            except MailError as error:
                logger.error("%s failed: %s", what, error)
            except Exception as error:
                logger.error("%s failed: %s", what, type(error).__name__)
            else:
                logger.info("%s: done", what)

        task = asyncio.create_task(run())
        self._sending.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._sending.discard)

    async def drain(self) -> None:
        """Waits for the messages still being sent (at shutdown)."""
        while self._sending:
            await asyncio.gather(*self._sending)
