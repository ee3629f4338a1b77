"""Fixtures shared by every test: a real CIS simulator and its knobs.

``simulator`` starts one simulator process per session; ``simulator_control`` turns its
knobs and puts them back after the test; ``launch_simulator`` starts more of a test's own.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from subprocess import Popen

import httpx
import pytest

from tests.simulator_process import (
    DEFAULT_KNOBS,
    SIMULATOR_MEMBERS,
    SIMULATOR_SEED,
    Launcher,
    RunningSimulator,
    SimulatorControl,
    launch,
    stop,
)


@pytest.fixture
def launch_simulator(tmp_path: Path) -> Iterator[Launcher]:
    """Starts simulator processes of the test's own; stops them after it."""
    processes: list[Popen[str]] = []

    def start(
        arguments: Sequence[str], lines: int, env: Mapping[str, str] | None = None
    ) -> tuple[Popen[str], list[str]]:
        process, printed = launch(arguments, lines, tmp_path, env)
        processes.append(process)
        return process, printed

    yield start
    for process in processes:
        stop(process)


@pytest.fixture(scope="session")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    folder = tmp_path_factory.mktemp("cis-simulator")
    arguments = [
        "--control-port",
        "0",
        "--seed",
        str(SIMULATOR_SEED),
        "--members",
        str(SIMULATOR_MEMBERS),
        "--database",
        str(folder / "cis.sqlite3"),
    ]
    process, (wsdl_line, control_line) = launch(arguments, 2, folder)
    url = wsdl_line.removeprefix("CIS simulator: WSDL at ").removesuffix("/cis?wsdl")
    control_url = control_line.removeprefix("CIS simulator: control at ").removesuffix("/_sim")
    assert httpx.get(f"{url}/_sim/health").json() == {"status": "ok"}
    yield RunningSimulator(url, control_url, process)
    stop(process)


@pytest.fixture(scope="session")
def simulator_url(simulator: RunningSimulator) -> str:
    return simulator.url


@pytest.fixture
def simulator_control(simulator: RunningSimulator) -> Iterator[SimulatorControl]:
    knobs = SimulatorControl(simulator)
    yield knobs
    knobs.set(**DEFAULT_KNOBS)
