"""The SOAP adapter against the real simulator: parsing equal to zeep's, batching, retries,
the circuit breaker, deadlines, hostile answers and secrets kept out of logs.

(What every adapter must do is the contract suite's job, in ``tests/contract/``.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters import records
from adapters.cis_soap import envelope, operations
from adapters.cis_soap.adapter import SoapCisAdapter
from adapters.cis_soap.resilience import CircuitOpen, NotSent
from adapters.cis_soap.settings import SoapAdapterSettings
from adapters.cis_soap.simulator.soap import response_envelope, serialize
from adapters.cis_soap.xmlmap import append_record
from adapters.cis_soap.zeep_parse import ZeepParser
from adapters.errors import BatchTooLarge, CisError, CisFault, CisTimeout, CisUnavailable
from tests.simulator_process import SimulatorControl
from tests.waiting import eventually

from .local_server import serving
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


def settings_at(url: str) -> SoapAdapterSettings:
    """Settings for the SOAP endpoint at ``url`` itself."""
    return dataclasses.replace(settings_for(url), url=url)


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
    simulator_control.set(reset_stats=True, outage="hang", outage_seconds=5)
    adapter = SoapCisAdapter.create(settings_for(simulator_url, max_concurrency=3))
    try:
        reading = asyncio.create_task(adapter.get_accounts(keys + known))  # repeats sent once
        # Three calls in the CIS at once:
        await eventually(lambda: simulator_control.set()["held_calls"] == 3, "three calls held")
        simulator_control.set(outage="none")
        accounts = await reading
    finally:
        await adapter.aclose()
    assert set(accounts) == set(known)
    assert calls_of(simulator_control, "GetAccountsByAccountNumbers") == {
        "calls": 3,
        "items": 1200,
        "faults": 0,
    }


async def test_concurrent_adapter_calls_share_the_concurrency_limit(
    simulator_url: str, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    simulator_control.set(latency_ms=200)
    adapter = SoapCisAdapter.create(settings_for(simulator_url, max_concurrency=1))
    try:
        started = time.monotonic()
        await asyncio.gather(
            adapter.get_accounts([members[0]["account_number"]]),
            adapter.get_customers([members[0]["customer_id"]]),
        )
        elapsed = time.monotonic() - started
    finally:
        await adapter.aclose()
    assert elapsed >= 0.4  # two calls of 200 ms, one after the other


async def test_transient_faults_are_retried_for_reads(
    cis: SoapCisAdapter,
    simulator_url: str,
    simulator_control: SimulatorControl,
    members: list[dict[str, str]],
) -> None:
    number, name = members[0]["account_number"], "GetAccountsByAccountNumbers"
    expected = await cis.get_accounts([number])
    simulator_control.set(reset_stats=True, fault_rate=1.0)
    adapter = SoapCisAdapter.create(
        settings_for(simulator_url, retries=50, backoff_base=0.05, backoff_max=0.1, deadline=10)
    )
    try:
        reading = asyncio.create_task(adapter.get_accounts([number]))
        await eventually(lambda: calls_of(simulator_control, name)["faults"] > 0, "a fault")
        simulator_control.set(fault_rate=0)  # the CIS recovers while the adapter retries
        assert await reading == expected
    finally:
        await adapter.aclose()
    counted = calls_of(simulator_control, name)
    assert counted["calls"] == counted["faults"] + 1


async def test_persistent_faults_end_as_unavailable_after_the_retries(
    cis: SoapCisAdapter, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    simulator_control.set(reset_stats=True, fault_rate=1.0)
    with pytest.raises(CisUnavailable):
        await cis.get_accounts([members[0]["account_number"]])
    assert calls_of(simulator_control, "GetAccountsByAccountNumbers")["calls"] == 4


async def a_report_and_a_payment(
    cis: SoapCisAdapter, members: list[dict[str, str]]
) -> tuple[records.OutageReport, records.PaymentTransaction]:
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
    return report, payment


async def test_outage_reports_are_never_sent_twice(
    cis: SoapCisAdapter, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    report, payment = await a_report_and_a_payment(cis, members)
    simulator_control.set(reset_stats=True, fault_rate=1.0)
    with pytest.raises(CisUnavailable):
        await cis.submit_outage_reports([report])  # a Server fault: it may have been applied
    with pytest.raises(CisUnavailable):
        await cis.process_payments([payment])  # retryable: the CIS applies a reference once
    assert calls_of(simulator_control, "SubmitOutageReports")["calls"] == 1
    assert calls_of(simulator_control, "ProcessPaymentTransactions")["calls"] == 4


async def test_outage_reports_are_sent_again_when_they_never_left(
    cis: SoapCisAdapter,
    simulator_url: str,
    simulator_control: SimulatorControl,
    members: list[dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    report, _ = await a_report_and_a_payment(cis, members)
    caplog.set_level(logging.WARNING, logger="adapters.cis_soap.resilience")
    adapter = SoapCisAdapter.create(
        settings_for(simulator_url, retries=100, backoff_base=0.05, backoff_max=0.1, deadline=10)
    )
    try:
        simulator_control.set(reset_stats=True, outage="refuse", outage_seconds=0.5)
        (receipt,) = await adapter.submit_outage_reports([report])
    finally:
        await adapter.aclose()
    assert receipt.service_location_id == report.service_location_id
    refused = [record for record in caplog.records if "cannot reach the CIS" in record.message]
    assert refused  # the first attempts found the port closed, and were sent again
    assert calls_of(simulator_control, "SubmitOutageReports")["calls"] == 1


async def test_writes_larger_than_one_call_are_refused_before_sending(
    simulator_url: str, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    adapter = SoapCisAdapter.create(settings_for(simulator_url, max_batch_size=2))
    updates = [records.ContactUpdate(member["customer_id"]) for member in members[:3]]
    simulator_control.set(reset_stats=True)
    try:
        with pytest.raises(BatchTooLarge) as raised:
            await adapter.update_contact_info(updates)
        assert await adapter.submit_outage_reports([]) == ()
        assert len(await adapter.update_contact_info(updates[:2])) == 2
    finally:
        await adapter.aclose()
    assert raised.value.subject == "contactUpdates"
    assert calls_of(simulator_control, "UpdateCustomerContactInfo")["calls"] == 1
    assert simulator_control.stats()["calls"] == 1


async def test_usage_reads_are_split_so_no_call_asks_for_too_many_intervals(
    cis: SoapCisAdapter, simulator_control: SimulatorControl, members: list[dict[str, str]]
) -> None:
    numbers = [member["account_number"] for member in members]
    locations = (await cis.get_service_locations(numbers)).values()
    meters = [meter for locs in locations for loc in locs for meter in loc.meter_numbers][:5]
    assert len(meters) == 5
    start = now().replace(minute=0, second=0) - timedelta(days=1)
    # 400 days of quarter-hours, 38,400 a meter (mostly not measured yet): two meters a call.
    end = start + timedelta(days=400)
    simulator_control.set(reset_stats=True)
    usage = await cis.get_usage(meters, start, end, records.IntervalLength.FIFTEEN_MINUTES)
    assert set(usage) == set(meters)
    assert all(usage[meter] for meter in meters)
    assert calls_of(simulator_control, "GetUsageByMeterNumbers") == {
        "calls": 3,
        "items": 5,
        "faults": 0,
    }
    too_long = start + timedelta(days=1100)
    with pytest.raises(CisFault) as raised:
        await cis.get_usage(meters[:1], start, too_long, records.IntervalLength.FIFTEEN_MINUTES)
    assert raised.value.code == operations.FAULT_RANGE_TOO_LARGE
    assert calls_of(simulator_control, "GetUsageByMeterNumbers")["calls"] == 3  # none more


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


async def test_a_closed_port_is_unavailable() -> None:
    with socket.socket() as bound:  # bound but never listening: connections are refused
        bound.bind(("127.0.0.1", 0))
        adapter = SoapCisAdapter.create(settings_for(f"http://127.0.0.1:{bound.getsockname()[1]}"))
        try:
            with pytest.raises(NotSent) as raised:
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
            for fault_rate in (1.0, 0):  # retried server faults, then an answer
                simulator_control.set(fault_rate=fault_rate)
                try:
                    await adapter.ping()
                except CisError as error:
                    messages.append(str(error))
        finally:
            await adapter.aclose()
    messages += [record.getMessage() for record in caplog.records]
    assert any("retry" in message for message in messages)  # logging did happen
    assert any(operations.FAULT_AUTHENTICATION in message for message in messages)
    assert not [message for message in messages if PASSWORD in message or secret in message]


async def test_a_shared_http_client_is_left_open_and_untouched(simulator_url: str) -> None:
    async with httpx.AsyncClient(headers={"X-Co-op": "test"}) as client:
        adapter = SoapCisAdapter.create(settings_for(simulator_url), http_client=client)
        await adapter.ping()
        await adapter.aclose()
        assert not client.is_closed
        assert client.headers["X-Co-op"] == "test"
        assert "SOAPAction" not in client.headers


def two_receipts() -> bytes:
    """A SubmitOutageReports answer with two receipts, whatever was sent."""
    message, response = response_envelope("SubmitOutageReports")
    receipt = records.OutageReportReceipt("TR1", "SL-1", "E-1", records.OutageStatus.ASSUMED)
    for _ in range(2):
        append_record(response, "outageReportReceipt", receipt)
    return serialize(message)


@pytest.fixture(scope="module")
def hostile_cis() -> Iterator[str]:
    """A real HTTP server answering every SOAP call with a bad envelope of its path."""
    answers = {"/xxe": XXE, "/laughs": LAUGHS, "/two-receipts": two_receipts()}

    async def answer(request: Request) -> Response:
        return Response(answers[request.url.path], media_type="text/xml")

    app = Starlette(routes=[Route(path, answer, methods=["POST"]) for path in answers])
    with serving(app) as url:
        yield url


@pytest.mark.parametrize(("path", "error"), [("/xxe", "DOCTYPE"), ("/laughs", "malformed XML")])
async def test_hostile_answers_are_refused(hostile_cis: str, path: str, error: str) -> None:
    adapter = SoapCisAdapter.create(settings_at(f"{hostile_cis}{path}"))
    try:
        with pytest.raises(CisError, match=error) as raised:
            await adapter.methods()
    finally:
        await adapter.aclose()
    assert not isinstance(raised.value, CisUnavailable)
    assert adapter.breaker.state == "closed"


async def test_a_write_answered_with_another_row_count_breaks_the_contract(
    hostile_cis: str,
) -> None:
    adapter = SoapCisAdapter.create(settings_at(f"{hostile_cis}/two-receipts"))
    report = records.OutageReport("1", "SL-1", records.OutageReportKind.NO_POWER, now())
    try:
        with pytest.raises(CisError, match="2 answer rows for 1 request items") as raised:
            await adapter.submit_outage_reports([report])
    finally:
        await adapter.aclose()
    assert not isinstance(raised.value, CisUnavailable)


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
        element = envelope.response_element(content, 200, name)
        ours = envelope.read_answers(write, element, [items[name]])
        assert len(ours) == 1, name
        assert repr(ours) == repr(zeep.read_answers(name, content)), name
