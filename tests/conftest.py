"""Fixtures shared by every test: a real CIS simulator and its knobs.

``simulator`` starts one simulator process per session; ``simulator_control`` turns its
knobs and puts them back after the test; ``launch_simulator`` starts more of a test's own.
``database_url`` is an empty database of the test's own, on SQLite and on PostgreSQL, and
``engine``/``sessions`` the same migrated; ``demo_users`` puts the demo logins in it.
``mail`` is a real SMTP server of the test's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path
from subprocess import Popen

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gateway.store.database import create_engine, session_factory
from gateway.store.migrate import upgrade
from tests.gateway.databases import BACKENDS, fresh_database_url
from tests.gateway.mailbox import Mailbox, mailbox
from tests.schema.harness import create_demo_users, demo_cooperative
from tests.simulator_process import (
    DEFAULT_KNOBS,
    SIMULATOR_MEMBERS,
    SIMULATOR_SEED,
    Launcher,
    RunningSimulator,
    SimulatorControl,
    launch,
    running_simulator,
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
    with running_simulator(folder, seed=SIMULATOR_SEED, members=SIMULATOR_MEMBERS) as running:
        assert httpx.get(f"{running.url}/_sim/health").json() == {"status": "ok"}
        yield running


@pytest.fixture(scope="session")
def simulator_url(simulator: RunningSimulator) -> str:
    return simulator.url


@pytest.fixture
def simulator_control(simulator: RunningSimulator) -> Iterator[SimulatorControl]:
    knobs = SimulatorControl(simulator)
    yield knobs
    knobs.set(**DEFAULT_KNOBS)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own for the test."""
    async with fresh_database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's database, migrated to the newest schema."""
    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
async def demo_users(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The demo co-op's logins in the test's database: the demo and farm members, a staff
    user and a member without accounts (``tests.schema.harness``, password ``PASSWORD``)."""
    await create_demo_users(sessions, demo_cooperative().id)


@pytest.fixture
async def mail(tmp_path: Path) -> AsyncIterator[Mailbox]:
    """A real SMTP server on a free port; what it receives is saved under the test's folder."""
    async with mailbox(tmp_path / "mail") as box:
        yield box
