"""The simulator's run-time knobs: latency, injected failures, hang, batch size and stats."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from adapters.cis_soap.simulator.control import (
    ControlError,
    Controls,
    Failure,
    SimulatorSettings,
)
from tests.cis_soap.soap_client import SoapClient
from tests.simulator_process import SimulatorControl


def failures(
    controls: Controls, calls: int, operation: str = "GetAccountsByAccountNumbers"
) -> list[Failure | None]:
    return [controls.draw_failure(operation) for _ in range(calls)]


def test_failures_are_reproducible_from_the_seed() -> None:
    first, second = (Controls(SimulatorSettings(seed=42, fault_rate=0.3)) for _ in range(2))
    drawn = failures(first, 200)
    assert drawn == failures(second, 200)
    assert drawn != failures(Controls(SimulatorSettings(seed=43, fault_rate=0.3)), 200)
    share = sum(failure is not None for failure in drawn) / len(drawn)
    assert 0.2 < share < 0.4
    assert {Failure.SOAP_FAULT, Failure.HTTP_ERROR, None} == set(drawn)


def test_fault_rate_bounds_inject_never_or_always() -> None:
    assert set(failures(Controls(SimulatorSettings(fault_rate=0.0)), 100)) == {None}
    always = set(failures(Controls(SimulatorSettings(fault_rate=1.0)), 100))
    assert always == {Failure.SOAP_FAULT, Failure.HTTP_ERROR}


async def test_an_invalid_update_changes_nothing() -> None:
    controls = Controls(SimulatorSettings())
    before = controls.snapshot()
    for update in (
        {"latency_ms": 5, "fault_rate": 2},
        {"latency_ms": 5, "colour": "red"},
        {"max_batch_size": 0},
        {"max_batch_size": 2.5},
        {"latency_ms": True},
        {"outage": "sometimes"},
        {"outage_seconds": 3},
        {"outage": "refuse"},
    ):
        with pytest.raises(ControlError):
            await controls.apply(update)
        assert controls.snapshot() == before


def test_settings_refuse_impossible_knobs() -> None:
    with pytest.raises(ValueError, match="fault_rate"):
        SimulatorSettings(fault_rate=1.5)
    with pytest.raises(ValueError, match="latency_ms"):
        SimulatorSettings(latency_ms=-1)


async def test_hang_holds_calls_until_it_ends_by_itself() -> None:
    controls = Controls(SimulatorSettings())
    await controls.wait_while_hanging()  # no hang: answered at once
    await controls.apply({"outage": "hang", "outage_seconds": 0.3})
    assert controls.snapshot()["outage"] == "hang"
    started = time.monotonic()
    held = asyncio.create_task(controls.wait_while_hanging())
    await asyncio.sleep(0)
    assert controls.snapshot()["held_calls"] == 1
    await asyncio.wait_for(held, timeout=30)
    assert time.monotonic() - started >= 0.25  # the timer started before ``started``
    assert controls.snapshot()["outage"] == "none"
    assert controls.snapshot()["outage_seconds_left"] is None
    assert controls.snapshot()["held_calls"] == 0


def test_delay_grows_with_the_items_of_a_call() -> None:
    controls = Controls(SimulatorSettings(latency_ms=20, latency_per_item_ms=0.5))
    assert controls.delay(0) == pytest.approx(0.020)
    assert controls.delay(100) == pytest.approx(0.070)


async def test_faults_can_be_kept_to_named_operations() -> None:
    controls = Controls(SimulatorSettings(seed=42, fault_rate=1.0))
    await controls.apply({"fault_operations": ["ProcessPaymentTransactions"]})
    assert set(failures(controls, 20, "ProcessPaymentTransactions")) != {None}
    assert set(failures(controls, 20, "GetAccountsByAccountNumbers")) == {None}
    await controls.apply({"fault_operations": []})
    assert None not in failures(controls, 20, "GetAccountsByAccountNumbers")


def test_control_answers_the_current_settings(simulator_control: SimulatorControl) -> None:
    settings = simulator_control.set(latency_ms=5, max_batch_size=50)
    assert settings == {
        "latency_ms": 5.0,
        "latency_per_item_ms": 0.0,
        "fault_rate": 0.0,
        "fault_operations": [],
        "outage": "none",
        "outage_seconds_left": None,
        "max_batch_size": 50,
        "held_calls": 0,
    }
    assert simulator_control.set(fault_rate=0.25)["max_batch_size"] == 50  # partial update
    assert httpx.get(f"{simulator_control.url}/control").json()["fault_rate"] == 0.25


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b'{"latency_ms": -1}', b'{"speed": 1}'])
def test_control_refuses_bad_updates(simulator_control: SimulatorControl, body: bytes) -> None:
    response = httpx.post(f"{simulator_control.url}/control", content=body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_latency_is_observable(
    simulator_soap: SoapClient, simulator_control: SimulatorControl
) -> None:
    ping = simulator_soap.envelope(simulator_soap.operation("PingURL"))
    simulator_control.set(latency_ms=300)
    started = time.monotonic()
    assert simulator_soap.post(ping).status_code == 200
    assert time.monotonic() - started >= 0.3
    keys = [f"NO-SUCH-{number}" for number in range(100)]
    read = simulator_soap.read_request("GetMetersByMeterNumbers", keys)
    simulator_control.set(latency_ms=0, latency_per_item_ms=3)
    started = time.monotonic()
    assert simulator_soap.post(simulator_soap.envelope(read)).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fault_rate_one_answers_faults_and_server_errors(
    simulator_soap: SoapClient, simulator_control: SimulatorControl
) -> None:
    ping = simulator_soap.envelope(simulator_soap.operation("PingURL"))
    simulator_control.set(fault_rate=1.0)
    answers = [simulator_soap.post(ping) for _ in range(30)]
    assert all(answer.status_code == 500 for answer in answers)
    soap_faults = [a for a in answers if a.headers["content-type"].startswith("text/xml")]
    plain_errors = [a for a in answers if a.headers["content-type"].startswith("text/html")]
    assert soap_faults
    assert plain_errors
    assert len(soap_faults) + len(plain_errors) == len(answers)
    assert {simulator_soap.fault_of(answer).code for answer in soap_faults} == {
        "Server.Unavailable"
    }
    assert all("Envelope" not in answer.text for answer in plain_errors)
    simulator_control.set(fault_rate=0)
    assert simulator_soap.post(ping).status_code == 200


def test_hang_leaves_calls_unanswered_until_cleared(
    simulator_soap: SoapClient, simulator_control: SimulatorControl
) -> None:
    ping = simulator_soap.envelope(simulator_soap.operation("PingURL"))
    simulator_control.set(outage="hang")
    answers: list[httpx.Response] = []
    waiting = threading.Thread(target=lambda: answers.append(simulator_soap.post(ping)))
    waiting.start()
    deadline = time.monotonic() + 20
    while simulator_control.set()["held_calls"] != 1:
        assert time.monotonic() < deadline, "the call was never held"
        time.sleep(0.02)
    with pytest.raises(httpx.ReadTimeout):  # and so are further calls
        simulator_soap.post(ping, timeout=0.5)
    assert not answers  # still held
    simulator_control.set(outage="none")
    waiting.join(timeout=30)
    assert [answer.status_code for answer in answers] == [200]


def test_stats_count_calls_and_items_per_operation(
    simulator_soap: SoapClient, simulator_control: SimulatorControl
) -> None:
    simulator_control.set(reset_stats=True)
    for size in (3, 5):
        keys = [f"NO-SUCH-{number}" for number in range(size)]
        simulator_soap.call(simulator_soap.read_request("GetAccountsByAccountNumbers", keys))
    simulator_soap.call(simulator_soap.operation("GetMethods"))
    simulator_control.set(max_batch_size=2)
    simulator_soap.post(
        simulator_soap.envelope(
            simulator_soap.read_request("GetAccountsByAccountNumbers", ["A", "B", "C"])
        )
    )
    stats = simulator_control.stats()
    assert stats["operations"] == {
        "GetAccountsByAccountNumbers": {"calls": 3, "items": 11, "faults": 1},
        "GetMethods": {"calls": 1, "items": 0, "faults": 0},
    }
    assert (stats["calls"], stats["items"]) == (4, 11)
    simulator_control.set(reset_stats=True)
    assert simulator_control.stats()["operations"] == {}
