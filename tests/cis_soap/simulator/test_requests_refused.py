"""Over real HTTP: what the simulator refuses as the client's fault, and how its writes answer."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from adapters import records
from adapters.cis_soap import operations
from adapters.cis_soap.xmlmap import record_parser
from tests.cis_soap.soap_client import SoapClient, body_element, texts
from tests.simulator_process import RunningSimulator

START = datetime(2026, 1, 1, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


def usage_request(
    soap: SoapClient, meters: list[str], start: str, end: str, length: str = "FifteenMinutes"
) -> bytes:
    read = soap.read_request(
        "GetUsageByMeterNumbers", meters, start=start, end=end, intervalLength=length
    )
    return soap.envelope(read)


def unknown_meters(count: int) -> list[str]:
    return [f"NO-SUCH-METER-{number}" for number in range(count)]


def test_usage_up_to_the_interval_cap_is_answered(simulator_soap: SoapClient) -> None:
    per_meter = operations.MAX_USAGE_INTERVALS // 10
    end = START + QUARTER * per_meter
    answer = simulator_soap.call(
        simulator_soap.read_request(
            "GetUsageByMeterNumbers",
            unknown_meters(10),
            start=START.isoformat(),
            end=end.isoformat(),
            intervalLength="FifteenMinutes",
        )
    )
    assert len(texts(answer, "missingKeys/key")) == 10


@pytest.mark.parametrize(
    ("meters", "span", "length", "subject"),
    [
        pytest.param(10, QUARTER * (operations.MAX_USAGE_INTERVALS // 10) + timedelta(seconds=1),
                     "FifteenMinutes", "meterNumbers", id="one-interval-too-many"),
        pytest.param(500, timedelta(days=365), "FifteenMinutes", "meterNumbers",
                     id="500-meters-a-year-of-quarter-hours"),
        pytest.param(1, timedelta(days=1100), "FifteenMinutes", "end", id="one-meter-too-long"),
        pytest.param(300, timedelta(days=400), "Daily", "meterNumbers", id="daily"),
    ],
)  # fmt: skip
def test_usage_beyond_the_interval_cap_is_range_too_large(
    simulator_soap: SoapClient, meters: int, span: timedelta, length: str, subject: str
) -> None:
    request = usage_request(
        simulator_soap,
        unknown_meters(meters),
        START.isoformat(),
        (START + span).isoformat(),
        length,
    )
    fault = simulator_soap.fault(request)
    assert (fault.code, fault.subject) == (operations.FAULT_RANGE_TOO_LARGE, subject)
    assert str(operations.MAX_USAGE_INTERVALS) in fault.reason


def test_repeated_meters_count_once(simulator_soap: SoapClient) -> None:
    end = START + QUARTER * operations.MAX_USAGE_INTERVALS
    request = usage_request(
        simulator_soap, ["NO-SUCH-METER"] * 3, START.isoformat(), end.isoformat()
    )
    assert simulator_soap.post(request).status_code == 200


@pytest.mark.parametrize(
    ("start", "end", "subject"),
    [
        pytest.param("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", "end", id="end-before-start"),
        pytest.param("2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "end", id="empty"),
        pytest.param("2026-01-01T06:00:00Z", "2026-01-01T00:00:00-06:00", "end",
                     id="empty-across-offsets"),
        pytest.param("0001-01-01T00:00:00+05:00", "2026-01-01T00:00:00Z", "start",
                     id="year-1-overflows"),
        pytest.param("2026-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00", "end",
                     id="year-9999-overflows"),
    ],
)  # fmt: skip
def test_senseless_usage_windows_are_invalid_requests(
    simulator_soap: SoapClient, start: str, end: str, subject: str
) -> None:
    fault = simulator_soap.fault(usage_request(simulator_soap, ["M-1"], start, end, "Daily"))
    assert (fault.code, fault.subject) == (operations.FAULT_INVALID_REQUEST, subject)


def test_negative_since_sequence_is_an_invalid_request(simulator_soap: SoapClient) -> None:
    request = simulator_soap.operation(
        "GetActiveOutageEvents", simulator_soap.leaf("sinceSequence", "-1")
    )
    fault = simulator_soap.fault(simulator_soap.envelope(request))
    assert (fault.code, fault.subject) == (operations.FAULT_INVALID_REQUEST, "sinceSequence")


def payment(account: str, amount: str, reference: str | None = None) -> records.PaymentTransaction:
    return records.PaymentTransaction(
        reference or f"test-{uuid.uuid4()}",
        account,
        Decimal(amount),
        records.TenderType.CARD,
        records.PaymentChannel.WEB,
        datetime.now(UTC).replace(microsecond=0),
    )


@pytest.fixture(scope="module")
def sample(simulator: RunningSimulator) -> list[dict[str, str]]:
    members: list[dict[str, str]] = httpx.get(
        f"{simulator.url}/_sim/sample", params={"n": 3}
    ).json()
    return members


@pytest.mark.parametrize("amount", ["1" * 29 + ".00", "1" * 17 + ".01", "1" * 19])
def test_amounts_beyond_money_digits_are_invalid_requests(
    simulator_soap: SoapClient, sample: list[dict[str, str]], amount: str
) -> None:
    request = simulator_soap.write_request(
        "ProcessPaymentTransactions", [payment(sample[0]["account_number"], amount)]
    )
    fault = simulator_soap.fault(simulator_soap.envelope(request))
    assert fault.code == operations.FAULT_INVALID_REQUEST


def test_a_reference_reused_for_another_amount_is_refused(
    simulator_soap: SoapClient, sample: list[dict[str, str]]
) -> None:
    account = sample[0]["account_number"]
    first = payment(account, "3.00")
    simulator_soap.call(simulator_soap.write_request("ProcessPaymentTransactions", [first]))
    reused = payment(account, "4.00", first.external_reference)
    request = simulator_soap.write_request("ProcessPaymentTransactions", [reused])
    fault = simulator_soap.fault(simulator_soap.envelope(request))
    assert (fault.code, fault.subject) == (
        operations.FAULT_INVALID_REQUEST,
        first.external_reference,
    )


async def test_concurrent_identical_payments_apply_once(
    simulator: RunningSimulator, simulator_soap: SoapClient, sample: list[dict[str, str]]
) -> None:
    account = sample[1]["account_number"]
    transaction = payment(account, "7.00")
    request = simulator_soap.envelope(
        simulator_soap.write_request("ProcessPaymentTransactions", [transaction])
    )
    parse = record_parser(records.PaymentReceipt).parse
    async with httpx.AsyncClient(timeout=30) as http:
        answers = await asyncio.gather(
            *(http.post(simulator.soap_url, content=request) for _ in range(8))
        )
    receipts = [parse(body_element(answer)[0]) for answer in answers]
    assert sorted(receipt.already_applied for receipt in receipts) == [False] + [True] * 7
    assert len({receipt.payment_id for receipt in receipts}) == 1
    today = datetime.now(UTC).date()
    history = simulator_soap.call(
        simulator_soap.read_request(
            "GetPaymentsByAccountNumbers",
            [account],
            from_=(today - timedelta(days=2)).isoformat(),
            to=(today + timedelta(days=2)).isoformat(),
        )
    )
    references = texts(history, "group/payment/externalReference")
    assert references.count(transaction.external_reference) == 1


def test_contact_updates_answer_one_row_per_update_in_order(
    simulator_soap: SoapClient, sample: list[dict[str, str]]
) -> None:
    first, second = sample[0]["customer_id"], sample[1]["customer_id"]
    tag = uuid.uuid4().hex[:8]
    updates = [
        records.ContactUpdate(first, email=f"{tag}@example.org"),
        records.ContactUpdate(second, day_phone="308-555-0101"),
        records.ContactUpdate(first, home_phone="308-555-0102"),
    ]
    answer = simulator_soap.call(simulator_soap.write_request("UpdateCustomerContactInfo", updates))
    parse = record_parser(records.Customer).parse
    rows = [parse(row) for row in answer.iterchildren("customer")]
    assert [row.customer_id for row in rows] == [first, second, first]
    assert rows[0] == rows[2]
    assert (rows[0].email, rows[0].home_phone) == (f"{tag}@example.org", "308-555-0102")
