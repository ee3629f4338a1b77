"""The simulator runner: a refusing port really refuses, and signals shut it down cleanly."""

from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path

import httpx
import pytest

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
    # Asked on the SOAP port itself: it closes behind the answer and re-opens alone.
    answer = httpx.post(
        f"{simulator.url}/_sim/control", json={"outage": "refuse", "outage_seconds": 0.5}
    )
    assert answer.json()["outage"] == "refuse"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{simulator.url}/_sim/health")
    assert wait_until_answering(f"{simulator.url}/_sim/health", timeout=5) < 2
    assert simulator_control.set()["outage"] == "none"


def test_a_timed_hang_ends_by_itself(
    simulator: RunningSimulator, simulator_soap: SoapClient, simulator_control: SimulatorControl
) -> None:
    simulator_control.set(outage="hang", outage_seconds=0.3)
    started = time.monotonic()
    ping = simulator_soap.envelope(simulator_soap.operation("PingURL"))
    assert simulator_soap.post(ping, timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.2


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
    time.sleep(0.2)
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
