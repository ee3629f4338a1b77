"""The simulator runner: a refusing port really refuses, and signals shut it down cleanly."""

from __future__ import annotations

import asyncio
import re
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

from adapters.cis_soap.simulator.backend import SimulatedCis
from tests.cis_soap.soap_client import SoapClient
from tests.simulator_process import HEADER, Launcher, RunningSimulator, SimulatorControl


def wait_until_answering(url: str, timeout: float) -> float:
    """Seconds until ``url`` answers again."""
    started = time.monotonic()
    while True:
        try:
            httpx.get(url, timeout=1).raise_for_status()
            return time.monotonic() - started
        except httpx.ConnectError:
            if time.monotonic() - started > timeout:
                raise
            time.sleep(0.05)


def wait_until_held(control_url: str, calls: int, timeout: float = 20) -> None:
    """Return once the simulator holds ``calls`` SOAP calls in a hang (its own count)."""
    deadline = time.monotonic() + timeout
    while httpx.get(control_url, timeout=5).json()["held_calls"] != calls:
        assert time.monotonic() < deadline, f"the simulator never held {calls} calls"
        time.sleep(0.02)


def test_refuse_closes_the_soap_port_until_cleared(
    simulator: RunningSimulator, simulator_soap: SoapClient, simulator_control: SimulatorControl
) -> None:
    ping = simulator_soap.envelope(simulator_soap.operation("PingURL"))
    with httpx.Client(timeout=5) as kept_alive:
        assert kept_alive.get(f"{simulator.url}/_sim/health").status_code == 200
        assert simulator_control.set(outage="refuse")["outage"] == "refuse"
        with pytest.raises(httpx.ConnectError):  # the open connection was closed too
            kept_alive.post(simulator.soap_url, content=ping)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{simulator.url}/_sim/health")
    assert "operations" in simulator_control.stats()  # the control port still answers
    assert simulator_control.set(outage="none")["outage"] == "none"
    assert simulator_soap.post(ping).status_code == 200


def test_a_timed_refusal_ends_by_itself(
    simulator: RunningSimulator, simulator_control: SimulatorControl
) -> None:
    # Asked on the SOAP port itself: it closes behind the answer and re-opens alone. The
    # refusal lasts long enough to be seen refusing even on a busy machine.
    answer = httpx.post(
        f"{simulator.url}/_sim/control", json={"outage": "refuse", "outage_seconds": 3}
    )
    assert answer.json()["outage"] == "refuse"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{simulator.url}/_sim/health")
    wait_until_answering(f"{simulator.url}/_sim/health", timeout=30)
    assert simulator_control.set()["outage"] == "none"


def test_a_timed_hang_ends_by_itself(
    simulator_soap: SoapClient, simulator_control: SimulatorControl
) -> None:
    simulator_control.set(outage="hang", outage_seconds=3)
    ping = simulator_soap.envelope(simulator_soap.operation("PingURL"))
    answers: list[httpx.Response] = []
    caller = threading.Thread(target=lambda: answers.append(simulator_soap.post(ping, timeout=30)))
    caller.start()
    wait_until_held(f"{simulator_control.url}/control", 1)  # held, not answered at once
    caller.join(timeout=30)
    assert [answer.status_code for answer in answers] == [200]  # answered, nobody cleared it
    assert simulator_control.set()["held_calls"] == 0


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_the_runner_cleanly(
    launch_simulator: Launcher, tmp_path: Path, signal_number: int
) -> None:
    database = tmp_path / "cis.sqlite3"
    process, (line,) = launch_simulator(["--members", "5", "--database", str(database)], 1)
    match = re.fullmatch(r"CIS simulator: WSDL at (http://127\.0\.0\.1:\d+)/cis\?wsdl", line)
    assert match, line
    soap = SoapClient(f"{match[1]}/cis")
    httpx.post(f"{match[1]}/_sim/control", json={"outage": "hang"}).raise_for_status()
    held: list[httpx.Response] = []
    caller = threading.Thread(
        target=lambda: held.append(soap.post(soap.envelope(soap.operation("PingURL"))))
    )
    caller.start()
    wait_until_held(f"{match[1]}/_sim/control", 1)
    process.send_signal(signal_number)
    assert process.wait(timeout=5) == 0
    caller.join(timeout=5)
    assert [response.status_code for response in held] == [200]  # answered, not dropped
    assert "Traceback" not in (tmp_path / "stderr.txt").read_text()


def test_credentials_come_from_the_environment(
    launch_simulator: Launcher, simulator_soap: SoapClient
) -> None:
    environment = {"CIS_SIMULATOR_USER_ID": "billing", "CIS_SIMULATOR_PASSWORD": "pr41r1e"}
    _, (line,) = launch_simulator(["--members", "5"], 1, environment)
    soap = SoapClient(line.removeprefix("CIS simulator: WSDL at ").removesuffix("?wsdl"))
    ping = soap.operation("PingURL")
    assert soap.fault(soap.envelope(ping)).code == "Client.AuthenticationFailed"
    header = {**HEADER, "userId": "billing", "password": "pr41r1e"}
    assert soap.post(soap.envelope(ping, header)).status_code == 200


def test_a_database_of_another_simulator_is_a_one_line_message(
    launch_simulator: Launcher, tmp_path: Path
) -> None:
    database = tmp_path / "cis.sqlite3"
    asyncio.run(SimulatedCis(seed=1, members=5, database_path=database).aclose())
    with pytest.raises(RuntimeError) as failed:
        launch_simulator(["--seed", "2", "--members", "5", "--database", str(database)], 1)
    stderr = (tmp_path / "stderr.txt").read_text()
    assert "the simulator exited with 1" in str(failed.value)
    assert "Traceback" not in stderr
    (line,) = stderr.splitlines()
    assert line.startswith("CIS simulator: database was created by a simulator with")
