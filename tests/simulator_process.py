"""A real CIS simulator for the tests: a ``python -m gateway simulator`` subprocess on free ports.

It listens on port 0 (plus a control port that stays reachable during outages), and the
tests read the URLs it prints. ``SimulatorControl`` turns its knobs through ``/_sim``.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from typing import IO, Any, Protocol

import httpx

from adapters.cis_soap import operations
from adapters.cis_soap.settings import SoapAdapterSettings

HEADER = {
    "userId": "gateway",
    "password": "gateway-secret",
    "company": "Test Co-op",
    "appName": "coop-gateway-tests",
    "messageId": "test-0001",
}


SIMULATOR_SEED = 7


SIMULATOR_MEMBERS = 40


REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class RunningSimulator:
    url: str  # base URL of the SOAP port, e.g. http://127.0.0.1:40123
    control_url: str  # base URL of the control port
    process: Popen[str]

    @property
    def soap_url(self) -> str:
        return f"{self.url}/cis"

    def outage_url(self, event_id: str) -> str:
        """Where a change to an outage (ETR, crew, status) is posted."""
        return f"{self.control_url}/_sim/outages/{event_id}"

    def adapter_settings(self) -> SoapAdapterSettings:
        """Settings for a SOAP adapter that talks to this simulator with the test header."""
        return SoapAdapterSettings(
            url=self.soap_url,
            user_id=HEADER["userId"],
            password=HEADER["password"],
            company=HEADER["company"],
        )


def simulator_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "gateway", "simulator", "--port", "0", *arguments]


def read_printed_lines(process: Popen[str], count: int, timeout: float) -> list[str]:
    """The first ``count`` lines the process prints, within ``timeout`` seconds.

    A thread reads the pipe (and keeps draining it, so the process never blocks on it).
    """
    printed: queue.Queue[str | None] = queue.Queue()

    def drain(stream: IO[str]) -> None:
        for line in stream:
            printed.put(line.strip())
        printed.put(None)

    assert process.stdout is not None
    threading.Thread(target=drain, args=(process.stdout,), daemon=True).start()
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while len(lines) < count:
        try:
            line = printed.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise TimeoutError(f"the simulator printed {lines} within {timeout} s") from None
        if line is None:
            raise RuntimeError(f"the simulator exited with {process.wait()}")
        lines.append(line)
    return lines


def launch(
    arguments: Sequence[str], lines: int, folder: Path, env: Mapping[str, str] | None = None
) -> tuple[Popen[str], list[str]]:
    """A simulator process, and the first ``lines`` it printed once it listens."""
    with (folder / "stderr.txt").open("w") as stderr:
        process = Popen(
            simulator_command(*arguments),
            cwd=REPO,
            text=True,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
    try:
        return process, read_printed_lines(process, lines, timeout=90)
    except (TimeoutError, RuntimeError) as error:
        process.kill()
        process.wait()
        raise RuntimeError(f"{error}: {(folder / 'stderr.txt').read_text()}") from None


def stop(process: Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Launcher(Protocol):
    def __call__(
        self, arguments: Sequence[str], lines: int, env: Mapping[str, str] | None = None
    ) -> tuple[Popen[str], list[str]]: ...


DEFAULT_KNOBS = {
    "latency_ms": 0,
    "latency_per_item_ms": 0,
    "fault_rate": 0,
    "fault_operations": [],
    "outage": "none",
    "max_batch_size": operations.MAX_BATCH_SIZE,
}


def operation_calls(stats: Mapping[str, Any], operation: str) -> int:
    """How many calls of ``operation`` the simulator's ``stats`` counted."""
    calls: int = stats["operations"].get(operation, {}).get("calls", 0)
    return calls


class SimulatorControl:
    """The simulator's ``/_sim`` endpoints, reached through its control port."""

    def __init__(self, simulator: RunningSimulator) -> None:
        self.simulator = simulator
        self.url = f"{simulator.control_url}/_sim"
        self.http = httpx.Client(timeout=10)

    def set(self, **knobs: object) -> dict[str, Any]:
        response = self.http.post(f"{self.url}/control", json=knobs)
        assert response.status_code == 200, response.text
        settings: dict[str, Any] = response.json()
        return settings

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.http.get(f"{self.url}/stats").json()
        return stats

    def calls(self, operation: str) -> int:
        """How many calls of ``operation`` the simulator has answered (since stats were reset)."""
        return operation_calls(self.stats(), operation)

    def move_outage(self, event_id: str, **change: str) -> None:
        """Moves an outage on (``estimated_restoration``, ``crew_status``, ``status``)."""
        response = self.http.post(self.simulator.outage_url(event_id), json=change)
        assert response.status_code == 200, response.text


@contextmanager
def running_simulator(folder: Path, *, seed: int, members: int) -> Iterator[RunningSimulator]:
    """A simulator process with a control port and its database in ``folder``."""
    arguments = ["--control-port", "0", "--seed", str(seed), "--members", str(members)]
    process, (wsdl_line, control_line) = launch(
        [*arguments, "--database", str(folder / "cis.sqlite3")], 2, folder
    )
    url = wsdl_line.removeprefix("CIS simulator: WSDL at ").removesuffix("/cis?wsdl")
    control_url = control_line.removeprefix("CIS simulator: control at ").removesuffix("/_sim")
    try:
        yield RunningSimulator(url, control_url, process)
    finally:
        stop(process)
