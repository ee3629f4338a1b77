from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.cis_soap.simulator.backend import SimulatedCis
from tests.simulator_process import SIMULATOR_MEMBERS, SIMULATOR_SEED

from .counting import CountingCis


@pytest.fixture
async def simulated(tmp_path: Path) -> AsyncIterator[SimulatedCis]:
    cis = SimulatedCis(
        seed=SIMULATOR_SEED, members=SIMULATOR_MEMBERS, database_path=tmp_path / "cis.sqlite3"
    )
    yield cis
    await cis.aclose()


@pytest.fixture
def counting(simulated: SimulatedCis) -> CountingCis:
    return CountingCis(simulated)
