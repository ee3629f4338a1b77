"""``coop-gateway serve`` as a process: refusing to start, workers, logs without secrets."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.auth.users import create_user
from gateway.store.models import Role
from tests.simulator_process import REPO

PASSWORD = "s3cret-Pa55word-in-the-request"
LISTENING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


def serve_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "gateway", "serve", "--port", "0", *arguments]


def serve_environ(database_url: str, coop_files: tuple[Path, ...], **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "COOP_GATEWAY_DATABASE_URL": database_url,
        "COOP_GATEWAY_COOPERATIVES": ",".join(str(path) for path in coop_files),
        **more,
    }


def test_serve_refuses_an_unmigrated_database(
    database_url: str, coop_files: tuple[Path, ...]
) -> None:
    finished = subprocess.run(
        serve_command(),
        cwd=REPO,
        env=serve_environ(database_url, coop_files),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 1
    assert "is not migrated;" in finished.stderr
    assert "run `coop-gateway db upgrade`" in finished.stderr
    assert "Traceback" not in finished.stderr


@dataclass(frozen=True)
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> str:
        """Stops it as Ctrl-C does; asserts it ends well and returns what it logged."""
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=30) == 0, self.log.read_text()
        return self.log.read_text()


@pytest.fixture
def served(
    database_url: str, engine: AsyncEngine, coop_files: tuple[Path, ...], tmp_path: Path
) -> Iterator[Served]:
    """``serve --workers 2`` at log level DEBUG."""
    log = tmp_path / "serve.log"
    environ = serve_environ(database_url, coop_files, COOP_GATEWAY_LOG_LEVEL="DEBUG")
    with log.open("w") as stderr:
        process = subprocess.Popen(
            serve_command("--workers", "2"), cwd=REPO, env=environ, stderr=stderr
        )
    try:
        yield Served(_wait_until_listening(process, log), process, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _wait_until_listening(process: subprocess.Popen[bytes], log: Path) -> str:
    """The base URL once a worker answers (the main process binds before workers start)."""
    for _ in range(600):
        assert process.poll() is None, log.read_text()
        if (found := LISTENING.search(log.read_text())) is not None:
            try:
                httpx.get(f"{found[1]}/healthz").raise_for_status()
                return found[1]
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    raise AssertionError(f"serve did not answer: {log.read_text()}")


async def test_workers_serve_and_log_no_query_string_header_or_secret(
    served: Served, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_user(sessions, "custer-prairie", "worker@example.coop", PASSWORD, Role.STAFF)
    login = 'mutation { login(email: "worker@example.coop", password: "%s") { token } }'
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
        assert (await http.get("/readyz")).status_code == 200
        answer = (await http.post("/graphql", json={"query": login % PASSWORD})).json()
        token = answer["data"]["login"]["token"]
        viewer = await http.get(
            "/graphql",
            params={"query": "{ viewer { email } }", "variables": '{"marker": "in-the-url"}'},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert viewer.json() == {"data": {"viewer": {"email": "worker@example.coop"}}}
    logged = served.stop()
    assert '"GET /graphql" 200' in logged
    assert '"POST /graphql" 200' in logged
    for secret in (PASSWORD, token, "in-the-url", "argon2", "gateway-secret"):
        assert secret not in logged
