"""Fixtures of the SOAP tests."""

from __future__ import annotations

import pytest

from tests.cis_soap.soap_client import SoapClient
from tests.simulator_process import RunningSimulator


@pytest.fixture(scope="session")
def simulator_soap(simulator: RunningSimulator) -> SoapClient:
    return SoapClient(simulator.soap_url)
