"""``coop-gateway demo`` (``make run``): simulator and gateway up, demo logins work, Ctrl-C
stops both."""

from __future__ import annotations

import dataclasses
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.demo import DEMO_ACCOUNTS
from gateway.demo import DASHBOARD_QUERY, LOGIN_MUTATION, SIGN_UP_MUTATION, seed_demo_users
from gateway.settings import Settings
from gateway.store.models import User
from tests.cis_soap.local_server import free_port
from tests.simulator_process import REPO, read_printed_lines


def wait_for_file(folder: Path, pattern: str, timeout: float) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no {pattern} in {folder} within {timeout} s")


def test_the_demo_serves_the_demo_logins_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, simulator_port, mail_port = free_port(), free_port(), free_port()
    command = [sys.executable, "-m", "gateway", "demo", "--port", str(port)]
    command += ["--simulator-port", str(simulator_port), "--mail-port", str(mail_port)]
    command += ["--data-dir", str(tmp_path / "var")]
    with (tmp_path / "demo.log").open("w") as log:
        demo = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        printed = read_printed_lines(demo, 3, timeout=90)
        assert printed[2] == f"GraphiQL:      http://127.0.0.1:{port}/graphql"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            login = http.post("/graphql", json={"query": LOGIN_MUTATION}).json()
            token = login["data"]["login"]["token"]
            headers = {"Authorization": f"Bearer {token}"}
            answer = http.post("/graphql", json={"query": DASHBOARD_QUERY}, headers=headers)
            signed_up = http.post("/graphql", json={"query": SIGN_UP_MUTATION}).json()
        assert "errors" not in answer.json()
        accounts = answer.json()["data"]["viewer"]["accounts"]
        assert [account["number"] for account in accounts] == sorted(DEMO_ACCOUNTS)
        assert "errors" not in signed_up
        welcome = wait_for_file(tmp_path / "var" / "mail", "*.eml", timeout=10)
        assert "Your temporary password is:" in welcome.read_text()
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=30) == 0, (tmp_path / "demo.log").read_text()
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    with pytest.raises(httpx.ConnectError):  # the simulator stopped with the demo
        httpx.get(f"http://127.0.0.1:{simulator_port}/_sim/health")
    with pytest.raises(ConnectionRefusedError):  # and so did the mail sink
        smtplib.SMTP("127.0.0.1", mail_port, timeout=5)


async def test_seeding_is_idempotent_and_for_demo_mode_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(ValueError, match="demo mode only"):
        await seed_demo_users(Settings(), sessions, "custer-prairie")
    demo = dataclasses.replace(Settings(), demo_mode=True)
    await seed_demo_users(demo, sessions, "custer-prairie")
    await seed_demo_users(demo, sessions, "custer-prairie")
    async with sessions() as session:
        users = await session.scalar(select(func.count()).select_from(User))
    assert users == 3
