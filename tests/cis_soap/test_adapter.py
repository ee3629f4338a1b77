"""The SOAP adapter against the real simulator: parsing equal to zeep's, batching, retries,
the circuit breaker, deadlines, hostile answers and secrets kept out of logs.

(What every adapter must do is the contract suite's job, in ``tests/contract/``.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters import records
from adapters.cis_soap import envelope, operations
from adapters.cis_soap.adapter import SoapCisAdapter
from adapters.cis_soap.resilience import CircuitOpen
from adapters.cis_soap.settings import SoapAdapterSettings
from adapters.cis_soap.zeep_parse import ZeepParser
from adapters.errors import BatchTooLarge, CisError, CisFault, CisTimeout, CisUnavailable
from tests.simulator_process import SimulatorControl

from .test_envelope import LAUGHS, XXE

PASSWORD = "gateway-secret"  # the simulator's well-known test credential


def settings_for(url: str, **changes: Any) -> SoapAdapterSettings:
    fast = SoapAdapterSettings(
        url=f"{url}/cis",
        user_id="gateway",
        password=PASSWORD,
        company="Test Co-op",
        app_name="adapter-tests",
        connect_timeout=1,
        read_timeout=3,
        deadline=5,
        retries=3,
        backoff_base=0.005,
        backoff_max=0.02,
        breaker_failures=50,
        breaker_cooldown=0.3,
    )
    return dataclasses.replace(fast, **changes)


@pytest.fixture
async def cis(simulator_url: str) -> AsyncIterator[SoapCisAdapter]:
    adapter = SoapCisAdapter.create(settings_for(simulator_url))
    yield adapter
    await adapter.aclose()


@pytest.fixture(scope="module")
def members(simulator_url: str) -> list[dict[str, str]]:
    sample: list[dict[str, str]] = httpx.get(f"{simulator_url}/_sim/sample?n=8").json()
    return sample


def calls_of(control: SimulatorControl, operation: str) -> dict[str, int]:
    empty = {"calls": 0, "items": 0, "faults": 0}
    counted: dict[str, int] = control.stats()["operations"].get(operation, empty)
    return counted


async def test_ping_and_methods(cis: SoapCisAdapter) -> None:
    await cis.ping()
    assert set(await cis.methods()) == set(operations.ALL_OPERATIONS)


async def test_an_empty_batch_makes_no_call(
    cis: SoapCisAdapter, simulator_control: SimulatorControl
) -> None:
    simulator_control.set(reset_stats=True)
    assert await cis.get_accounts([]) == {}
    assert simulator_control.stats()["calls"] == 0


async def test_large_batches_are_split_and_sent_concurrently(
    simulator_url: str, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    known = [member["account_number"] for member in members]
    keys = known + [f"NO-SUCH-{n}" for n in range(1200 - len(known))]
    simulator_control.set(reset_stats=True, latency_ms=300)
    adapter = SoapCisAdapter.create(settings_for(simulator_url, max_concurrency=3))
    try:
        started = time.monotonic()
        accounts = await adapter.get_accounts(keys + known)  # repeated keys are sent once
        elapsed = time.monotonic() - started
    finally:
        await adapter.aclose()
    assert set(accounts) == set(known)
    assert calls_of(simulator_control, "GetAccountsByAccountNumbers") == {
        "calls": 3,
        "items": 1200,
        "faults": 0,
    }
    assert elapsed < 0.85  # three calls of 300 ms at once, not one after another


async def test_the_concurrency_limit_is_shared_by_the_adapters_calls(
    simulator_url: str, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    simulator_control.set(latency_ms=150)
    adapter = SoapCisAdapter.create(
        settings_for(simulator_url, max_concurrency=1, max_batch_size=2)
    )
    try:
        started = time.monotonic()
        await adapter.get_accounts([member["account_number"] for member in members[:6]])
        elapsed = time.monotonic() - started
    finally:
        await adapter.aclose()
    assert elapsed >= 0.45  # three calls, one at a time


async def test_transient_faults_are_retried_for_reads(
    cis: SoapCisAdapter,
    simulator_url: str,
    simulator_control: SimulatorControl,
    members: list[dict[str, str]],
) -> None:
    numbers = [member["account_number"] for member in members]
    expected = await cis.get_accounts(numbers)
    simulator_control.set(reset_stats=True, fault_rate=0.5)
    adapter = SoapCisAdapter.create(settings_for(simulator_url, retries=10))
    try:
        for number in numbers:
            assert await adapter.get_accounts([number]) == {number: expected[number]}
    finally:
        await adapter.aclose()
    counted = calls_of(simulator_control, "GetAccountsByAccountNumbers")
    assert counted["faults"] > 0
    assert counted["calls"] == len(numbers) + counted["faults"]


async def test_persistent_faults_end_as_unavailable_after_the_retries(
    cis: SoapCisAdapter, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    simulator_control.set(reset_stats=True, fault_rate=1.0)
    with pytest.raises(CisUnavailable):
        await cis.get_accounts([members[0]["account_number"]])
    assert calls_of(simulator_control, "GetAccountsByAccountNumbers")["calls"] == 4


async def test_outage_reports_are_never_sent_twice(
    cis: SoapCisAdapter, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    number = members[0]["account_number"]
    (location, *_) = (await cis.get_service_locations([number]))[number]
    report = records.OutageReport(
        number, location.service_location_id, records.OutageReportKind.FLICKERING, now()
    )
    payment = records.PaymentTransaction(
        f"adapter-{uuid.uuid4()}",
        number,
        Decimal("0.01"),
        records.TenderType.CARD,
        records.PaymentChannel.WEB,
        now(),
    )
    simulator_control.set(reset_stats=True, fault_rate=1.0)
    with pytest.raises(CisUnavailable):
        await cis.submit_outage_reports([report])
    with pytest.raises(CisUnavailable):
        await cis.process_payments([payment])  # retryable: the CIS applies a reference once
    assert calls_of(simulator_control, "SubmitOutageReports")["calls"] == 1
    assert calls_of(simulator_control, "ProcessPaymentTransactions")["calls"] == 4


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_a_closed_port_is_unavailable() -> None:
    adapter = SoapCisAdapter.create(settings_for(f"http://127.0.0.1:{free_port()}"))
    try:
        with pytest.raises(CisUnavailable) as raised:
            await adapter.ping()
    finally:
        await adapter.aclose()
    assert not isinstance(raised.value, CisTimeout)


async def test_a_hanging_cis_times_out_within_the_deadline(
    simulator_url: str, simulator_control: SimulatorControl
) -> None:
    simulator_control.set(outage="hang", outage_seconds=5)
    adapter = SoapCisAdapter.create(settings_for(simulator_url, deadline=0.5))
    try:
        started = time.monotonic()
        with pytest.raises(CisTimeout):
            await adapter.ping()
        assert time.monotonic() - started < 1.0
    finally:
        await adapter.aclose()


async def test_the_breaker_opens_answers_at_once_and_closes_after_a_probe(
    simulator_url: str, simulator_control: SimulatorControl
) -> None:
    adapter = SoapCisAdapter.create(
        settings_for(simulator_url, retries=0, breaker_failures=3, breaker_cooldown=0.3)
    )
    try:
        simulator_control.set(reset_stats=True, fault_rate=1.0)
        for _ in range(3):
            with pytest.raises(CisUnavailable):
                await adapter.ping()
        started = time.monotonic()
        with pytest.raises(CircuitOpen):
            await adapter.ping()
        assert time.monotonic() - started < 0.05
        assert calls_of(simulator_control, "PingURL")["calls"] == 3  # the 4th never left
        simulator_control.set(fault_rate=0)
        await asyncio.sleep(0.3)  # the cooldown
        await adapter.ping()  # the probe
        assert adapter.breaker.state == "closed"
        await adapter.ping()
        assert calls_of(simulator_control, "PingURL")["calls"] == 5
    finally:
        await adapter.aclose()


async def test_client_faults_are_typed_and_not_retried(
    simulator_url: str, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    simulator_control.set(reset_stats=True, max_batch_size=2)
    adapter = SoapCisAdapter.create(settings_for(simulator_url))
    try:
        with pytest.raises(BatchTooLarge):
            await adapter.get_customers([member["customer_id"] for member in members[:3]])
    finally:
        await adapter.aclose()
    wrong = SoapCisAdapter.create(settings_for(simulator_url, password="not-the-password-42"))
    try:
        with pytest.raises(CisFault) as raised:
            await wrong.ping()
    finally:
        await wrong.aclose()
    assert raised.value.code == operations.FAULT_AUTHENTICATION
    assert calls_of(simulator_control, "GetCustomersByCustomerIDs")["calls"] == 1
    assert calls_of(simulator_control, "PingURL")["calls"] == 1


async def test_the_password_never_reaches_logs_or_errors(
    simulator_url: str,
    simulator_control: SimulatorControl,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "not-the-password-42"
    messages: list[str] = []
    for password in (PASSWORD, secret):
        settings = settings_for(simulator_url, password=password, retries=2, breaker_failures=2)
        messages.append(repr(settings))
        adapter = SoapCisAdapter.create(settings)
        try:
            simulator_control.set(fault_rate=0.7)
            for _ in range(4):
                try:
                    await adapter.ping()
                except CisError as error:
                    messages.append(str(error))
        finally:
            await adapter.aclose()
    messages += [record.getMessage() for record in caplog.records]
    assert any("retry" in message for message in messages)  # logging did happen
    assert not [message for message in messages if PASSWORD in message or secret in message]


async def test_a_shared_http_client_is_left_open_and_untouched(simulator_url: str) -> None:
    async with httpx.AsyncClient(headers={"X-Co-op": "test"}) as client:
        adapter = SoapCisAdapter.create(settings_for(simulator_url), http_client=client)
        await adapter.ping()
        await adapter.aclose()
        assert not client.is_closed
        assert client.headers["X-Co-op"] == "test"
        assert "SOAPAction" not in client.headers


@pytest.fixture(scope="module")
def hostile_cis() -> Iterator[str]:
    """A real HTTP server answering every SOAP call with a hostile envelope of its path."""
    answers = {"/xxe": XXE, "/laughs": LAUGHS}

    async def answer(request: Request) -> Response:
        return Response(answers[request.url.path], media_type="text/xml")

    app = Starlette(routes=[Route(path, answer, methods=["POST"]) for path in answers])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(5)


@pytest.mark.parametrize("path", ["/xxe", "/laughs"])
async def test_hostile_answers_are_refused(hostile_cis: str, path: str) -> None:
    adapter = SoapCisAdapter.create(
        dataclasses.replace(settings_for(hostile_cis), url=f"{hostile_cis}{path}")
    )
    try:
        with pytest.raises(CisError, match="DOCTYPE") as raised:
            await adapter.methods()
    finally:
        await adapter.aclose()
    assert not isinstance(raised.value, CisUnavailable)
    assert adapter.breaker.state == "closed"


# ---- our lxml parsing gives exactly the records zeep's parsing gives -----------------------


@pytest.fixture(scope="module")
def raw_requests(simulator_url: str) -> envelope.RequestBuilder:
    credentials = envelope.Credentials("gateway", PASSWORD, "Test Co-op", "adapter-tests")
    return envelope.RequestBuilder(envelope.load_client(), credentials)


async def raw_answer(
    simulator_url: str, requests: envelope.RequestBuilder, name: str, parameters: dict[str, Any]
) -> bytes:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{simulator_url}/cis",
            content=requests.build(name, parameters),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
    assert response.status_code == 200, response.text
    return response.content


async def read_parameters(cis: SoapCisAdapter, members: list[dict[str, str]]) -> dict[str, Any]:
    """Real keys for every batch read, found through the adapter."""
    numbers = [member["account_number"] for member in members]
    locations = [
        loc for locs in (await cis.get_service_locations(numbers)).values() for loc in locs
    ]
    meters = [meter for location in locations for meter in location.meter_numbers]
    events = [event.outage_event_id for event in (await cis.get_active_outages()).events]
    today = date.today()
    year = {"from": today - timedelta(days=365), "to": today}
    start = datetime.combine(today - timedelta(days=3), datetime.min.time(), UTC)
    by_keys = {
        "customerIDs": [member["customer_id"] for member in members],
        "accountNumbers": numbers,
        "meterNumbers": meters,
        "outageEventIDs": events or ["NO-SUCH-EVENT"],
        "serviceLocationIDs": [location.service_location_id for location in locations],
    }
    extra = {
        "GetBillingDetailsByAccountNumbers": year,
        "GetPaymentsByAccountNumbers": year,
        "GetOutageHistoryByAccountNumbers": year,
        "GetUsageByMeterNumbers": {
            "start": start,
            "end": start + timedelta(days=2),
            "intervalLength": records.IntervalLength.HOURLY,
        },
    }
    return {
        name: {read.keys: envelope.wrapped(read.keys, by_keys[read.keys]), **extra.get(name, {})}
        for name, read in operations.BATCH_READS.items()
    }


async def test_every_read_parses_exactly_as_zeep_parses(
    cis: SoapCisAdapter,
    members: list[dict[str, str]],
    simulator_url: str,
    raw_requests: envelope.RequestBuilder,
) -> None:
    zeep = ZeepParser()
    for name, parameters in (await read_parameters(cis, members)).items():
        content = await raw_answer(simulator_url, raw_requests, name, parameters)
        ours = envelope.read_rows(
            operations.BATCH_READS[name], envelope.response_element(content, 200, name)
        )
        assert ours, name
        assert repr(ours) == repr(zeep.read_rows(name, content)), name


async def test_every_write_parses_exactly_as_zeep_parses(
    cis: SoapCisAdapter,
    members: list[dict[str, str]],
    simulator_url: str,
    raw_requests: envelope.RequestBuilder,
) -> None:
    number, customer_id = members[1]["account_number"], members[1]["customer_id"]
    (location, *_) = (await cis.get_service_locations([number]))[number]
    customer = (await cis.get_customers([customer_id]))[customer_id]
    items = {
        "SubmitOutageReports": records.OutageReport(
            number, location.service_location_id, records.OutageReportKind.NO_POWER, now()
        ),
        "ProcessPaymentTransactions": records.PaymentTransaction(
            f"adapter-{uuid.uuid4()}",
            number,
            Decimal("0.01"),
            records.TenderType.ACH,
            records.PaymentChannel.AUTOPAY,
            now(),
        ),
        "UpdateCustomerContactInfo": records.ContactUpdate(customer_id, email=customer.email),
    }
    zeep = ZeepParser()
    for name, write in operations.BATCH_WRITES.items():
        parameters = {write.items: envelope.wrapped(write.items, [items[name]])}
        content = await raw_answer(simulator_url, raw_requests, name, parameters)
        ours = envelope.read_answers(write, envelope.response_element(content, 200, name))
        assert len(ours) == 1, name
        assert repr(ours) == repr(zeep.read_answers(name, content)), name
