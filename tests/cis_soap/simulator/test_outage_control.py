"""``POST /_sim/outages/{id}``: tests and demos move an outage on (ETR, crew, restored) and
the CIS's feed shows each step; anything else is refused with nothing moved."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.cis_soap.adapter import SoapCisAdapter
from adapters.cis_soap.simulator.demo import DEMO_CABIN_LOCATION
from adapters.records import CrewStatus, OutageStatus
from tests.simulator_process import RunningSimulator, running_simulator


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    """This module's own simulator: the outages moved here are nobody else's."""
    with running_simulator(tmp_path_factory.mktemp("cis"), seed=3, members=5) as running:
        yield running


@pytest.fixture
async def cis(simulator: RunningSimulator) -> AsyncIterator[SoapCisAdapter]:
    adapter = SoapCisAdapter.create(simulator.adapter_settings())
    yield adapter
    await adapter.aclose()


async def test_an_outage_moves_on_step_by_step(
    cis: SoapCisAdapter, simulator: RunningSimulator
) -> None:
    event_id = (await cis.get_outage_status([DEMO_CABIN_LOCATION]))[
        DEMO_CABIN_LOCATION
    ].outage_event_id
    assert event_id is not None
    before = await cis.get_active_outages(0)
    etr = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    url = simulator.outage_url(event_id)

    async with httpx.AsyncClient() as http:
        moved = (await http.post(url, json={"estimated_restoration": etr.isoformat()})).json()
        dispatched = (await http.post(url, json={"crew_status": "DISPATCHED"})).json()
        restored = (await http.post(url, json={"status": "RESTORED"})).json()
        again = await http.post(url, json={"crew_status": "ON_SITE"})
    changes = await cis.get_active_outages(before.latest_sequence)
    status = (await cis.get_outage_status([DEMO_CABIN_LOCATION]))[DEMO_CABIN_LOCATION]

    assert datetime.fromisoformat(moved["estimated_restoration"]) == etr
    assert dispatched["crew_status"] == "DISPATCHED"
    assert (restored["status"], restored["crew_status"]) == ("RESTORED", "COMPLETE")
    assert moved["sequence"] < dispatched["sequence"] < restored["sequence"]
    assert again.status_code == 409
    (event,) = changes.events
    assert (event.status, event.crew_status) == (OutageStatus.RESTORED, CrewStatus.COMPLETE)
    assert status.outage_event_id is None


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"status": "SCHEDULED"},
        {"crew_status": "Dispatched"},
        {"estimated_restoration": "2030-01-01T10:00:00"},  # no offset
        {"estimated_restoration": 5},
        {"colour": "red"},
        [],
    ],
)
async def test_a_bad_change_is_refused_and_moves_nothing(
    cis: SoapCisAdapter, simulator: RunningSimulator, change: object
) -> None:
    before = await cis.get_active_outages(0)
    live = before.events[0].outage_event_id

    async with httpx.AsyncClient() as http:
        response = await http.post(simulator.outage_url(live), json=change)

    assert response.status_code == 400
    assert "error" in response.json()
    assert (await cis.get_active_outages(0)).latest_sequence == before.latest_sequence


async def test_a_planned_outage_keeps_to_its_schedule(
    cis: SoapCisAdapter, simulator: RunningSimulator
) -> None:
    before = await cis.get_active_outages(0)
    planned = next(e for e in before.events if e.status is OutageStatus.SCHEDULED)
    changes = ({"status": "CONFIRMED"}, {"status": "RESTORED"}, {"crew_status": "ON_SITE"})

    async with httpx.AsyncClient() as http:
        url = simulator.outage_url(planned.outage_event_id)
        answers = [await http.post(url, json=change) for change in changes]

    assert [answer.status_code for answer in answers] == [409, 409, 409]
    assert answers[0].json() == {"error": f"outage {planned.outage_event_id} is scheduled"}
    assert (await cis.get_active_outages(0)).latest_sequence == before.latest_sequence


def test_an_unknown_outage_is_not_found(simulator: RunningSimulator) -> None:
    response = httpx.post(simulator.outage_url("OE999999"), json={"status": "RESTORED"})
    assert response.status_code == 404
