"""Runs the contract suite against every adapter we ship.

``in-process`` is the simulated CIS itself (the reference implementation, no wire);
``soap`` is the SOAP adapter talking to a simulator process over real HTTP. A partner
co-op adds its adapter here, with the facts of its test CIS.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapters.cis_soap.adapter import SoapCisAdapter
from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import DEMO_CABIN_ACCOUNT, DEMO_HOME_ACCOUNT
from adapters.contract import CisAdapter
from tests.simulator_process import SIMULATOR_MEMBERS, SIMULATOR_SEED, RunningSimulator

from .facts import ContractFacts

TIME_ZONE = ZoneInfo("America/Chicago")


def facts_for(account_numbers: list[str]) -> ContractFacts:
    return ContractFacts(
        TIME_ZONE,
        tuple(account_numbers),
        net_metered_account=DEMO_HOME_ACCOUNT,
        outage_account=DEMO_CABIN_ACCOUNT,
    )


@pytest.fixture(params=["in-process", "soap"])
async def adapter_and_facts(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[CisAdapter, ContractFacts]]:
    if request.param == "in-process":
        simulated = SimulatedCis(
            seed=SIMULATOR_SEED,
            members=SIMULATOR_MEMBERS,
            database_path=tmp_path / "cis.sqlite3",
            time_zone=TIME_ZONE,
        )
        yield simulated, facts_for([sample.account_number for sample in simulated.sample(4)])
        await simulated.aclose()
        return

    simulator: RunningSimulator = request.getfixturevalue("simulator")
    async with httpx.AsyncClient() as http:
        sample = await http.get(f"{simulator.control_url}/_sim/sample", params={"n": 4})
    samples = sample.json()
    settings = simulator.adapter_settings()
    soap = SoapCisAdapter.create(settings)
    yield soap, facts_for([sample["account_number"] for sample in samples])
    await soap.aclose()


@pytest.fixture
def cis(adapter_and_facts: tuple[CisAdapter, ContractFacts]) -> CisAdapter:
    return adapter_and_facts[0]


@pytest.fixture
def facts(adapter_and_facts: tuple[CisAdapter, ContractFacts]) -> ContractFacts:
    return adapter_and_facts[1]
