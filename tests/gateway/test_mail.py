"""E-mail: template files to messages, sent over real SMTP to the mail sink, which saves them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.mail import Mailer, MailError, SmtpSettings, compose
from gateway.mail_sink import start_sink
from gateway.settings import Settings, SettingsError
from tests.gateway.mailbox import SENDER, saved
from tests.simulator_process import REPO

VALUES = {"cooperative": "Custer <Prairie> & Co", "server": "smtp:25", "sent_at": "now"}


@pytest.fixture
async def sink(tmp_path: Path) -> AsyncIterator[tuple[Mailer, Path, list[str]]]:
    """A mailer sending to a real mail sink on a free port; its folder and notices."""
    folder, notices = tmp_path / "mail", []
    server = await start_sink(folder, port=0, notify=notices.append)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield Mailer(SmtpSettings(port=port, sender=SENDER)), folder, notices


async def test_a_message_has_a_text_and_an_html_part_and_arrives(
    sink: tuple[Mailer, Path, list[str]],
) -> None:
    mailer, folder, notices = sink
    await mailer.send(mailer.compose("smtp-check", "member@example.coop", VALUES))

    [message] = saved(folder)
    assert message["To"] == "member@example.coop"
    assert message["From"] == SENDER
    assert message["Subject"] == "Custer <Prairie> & Co: e-mail from coop-gateway works"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Sent through smtp:25 at now." in text.get_content()
    assert "Custer &lt;Prairie&gt; &amp; Co" in html.get_content()  # escaped in HTML only
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert notices == [
        f"mail to member@example.coop: {message['Subject']} -> {folder}/0001-"
        f"{sorted(folder.glob('*.eml'))[0].name[5:]}"
    ]


def test_a_placeholder_without_a_value_is_an_error() -> None:
    with pytest.raises(KeyError, match="sent_at"):
        compose(
            "smtp-check",
            sender=SENDER,
            to="a@example.coop",
            values={"cooperative": "C", "server": "s"},
        )


async def test_an_unreachable_server_is_a_mail_error_without_the_password(
    unused_tcp_port: int,
) -> None:
    mailer = Mailer(SmtpSettings(port=unused_tcp_port, password="smtp-secret", timeout_seconds=5))
    message = mailer.compose("smtp-check", "a@example.coop", VALUES)

    with pytest.raises(MailError, match=f"127.0.0.1:{unused_tcp_port}") as raised:
        await mailer.send(message)
    assert "smtp-secret" not in str(raised.value)


@pytest.mark.parametrize(
    ("variable", "value"),
    [("COOP_GATEWAY_SMTP_SECURITY", "ssl3"), ("COOP_GATEWAY_MAIL_SENDER", "nobody")],
)
def test_bad_mail_settings_are_refused(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_environ({variable: value})


async def test_mail_check_sends_through_the_settings(
    sink: tuple[Mailer, Path, list[str]],
) -> None:
    mailer, folder, _ = sink
    environ = {
        **os.environ,
        "COOP_GATEWAY_SMTP_PORT": str(mailer.settings.port),
        "COOP_GATEWAY_MAIL_SENDER": SENDER,
    }
    command = [sys.executable, "-m", "gateway", "mail-check", "staff@example.coop"]
    # In a thread: this test's event loop keeps serving the sink meanwhile.
    process = await asyncio.to_thread(
        subprocess.run, command, cwd=REPO, env=environ, capture_output=True, text=True, timeout=60
    )

    assert process.returncode == 0, process.stderr
    [message] = saved(folder)
    assert message["To"] == "staff@example.coop"
    assert (
        message["Subject"] == "Custer Prairie Electric Cooperative: e-mail from coop-gateway works"
    )
