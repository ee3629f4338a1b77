"""The SOAP adapter's envelopes: requests valid per the XSD, answers and faults read right,
and hostile answers refused."""

from __future__ import annotations

import dataclasses
import time
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from adapters import records
from adapters.cis_soap import envelope, operations, soap11
from adapters.cis_soap.contract_files import request_schema
from adapters.cis_soap.simulator.soap import SoapFault, fault_envelope, response_envelope, serialize
from adapters.cis_soap.xmlmap import append_record
from adapters.cis_soap.zeep_parse import ZeepParser
from adapters.errors import BatchTooLarge, CisError, CisFault, CisRefused, CisUnavailable

SOAP = soap11.SOAP_NAMESPACE
CREDENTIALS = envelope.Credentials("gateway", "s3cret-pw", "Test Co-op", "tests")
CENTRAL = timezone(timedelta(hours=-6))

ACCOUNT = records.Account(
    account_number="100200",
    customer_id="C-1",
    account_status=records.AccountStatus.PENDING_DISCONNECT,
    billing_cycle="07",
    budget_bill=True,
    is_pre_pay=False,
    balance=records.Balance(
        Decimal("10.50"), Decimal("0.00"), Decimal("1.10"), Decimal("0"), Decimal("11.60")
    ),
    payment_due_date=date(2024, 5, 1),
    last_payment_amount=Decimal("99.10"),
    service_location_ids=("SL-1", "SL-2"),
)
BILL = records.Bill(
    bill_id="B-1",
    account_number="100200",
    bill_date=date(2024, 4, 10),
    period_start=date(2024, 3, 1),
    period_end=date(2024, 3, 31),
    due_date=date(2024, 5, 1),
    prior_balance=Decimal("50.00"),
    payments_applied=Decimal("-50.00"),
    total_due=Decimal("140.22"),
    kwh_billed=Decimal("1021.5"),
    charges=(
        records.ChargeLine("Energy", Decimal("120.22")),
        records.ChargeLine("Fee", Decimal("20")),
    ),
)
REPORT = records.OutageReport(
    "100200", "SL-1", records.OutageReportKind.LINE_DOWN, datetime(2024, 6, 1, 3, 4, tzinfo=CENTRAL)
)


@pytest.fixture(scope="module")
def builder() -> envelope.RequestBuilder:
    return envelope.RequestBuilder(envelope.load_client(), CREDENTIALS)


def body_of(message: bytes) -> tuple[etree._Element, etree._Element]:
    root = etree.fromstring(message)
    (cis_header,) = root.find(f"{{{SOAP}}}Header")
    (operation,) = root.find(f"{{{SOAP}}}Body")
    return cis_header, operation


REQUESTS: dict[str, dict[str, object]] = {
    "PingURL": {},
    "GetMethods": {},
    "GetActiveOutageEvents": {"sinceSequence": 42},
    "GetAccountsByAccountNumbers": {"accountNumbers": envelope.wrapped("accountNumbers", ["1"])},
    "GetBillingDetailsByAccountNumbers": {
        "accountNumbers": envelope.wrapped("accountNumbers", ["1", "2"]),
        "from": date(2024, 1, 1),
        "to": date(2024, 12, 31),
    },
    "GetUsageByMeterNumbers": {
        "meterNumbers": envelope.wrapped("meterNumbers", ["M-1"]),
        "start": datetime(2024, 3, 10, tzinfo=CENTRAL),
        "end": datetime(2024, 3, 11, tzinfo=UTC),
        "intervalLength": records.IntervalLength.FIFTEEN_MINUTES,
    },
    "SubmitOutageReports": {"outageReports": envelope.wrapped("outageReports", [REPORT])},
    "UpdateCustomerContactInfo": {
        "contactUpdates": envelope.wrapped(
            "contactUpdates",
            [
                records.ContactUpdate(
                    "C-1",
                    email="a@example.org",
                    billing_address=records.Address("1 Main", "Ames", "IA", "50010"),
                )
            ],
        )
    },
}


@pytest.mark.parametrize("name", REQUESTS)
def test_requests_are_valid_per_the_contract_and_carry_the_header(
    builder: envelope.RequestBuilder, name: str
) -> None:
    cis_header, operation = body_of(builder.build(name, REQUESTS[name]))
    schema = request_schema()
    schema.assertValid(cis_header)
    schema.assertValid(operation)
    assert operation.tag == f"{{urn:coop-gateway:cis:v1}}{name}"
    assert [child.text for child in cis_header][:4] == [
        "gateway",
        "s3cret-pw",
        "Test Co-op",
        "tests",
    ]
    assert uuid.UUID(cis_header.findtext("messageId") or "").version == 4
    assert builder.soap_action(name) == f"urn:coop-gateway:cis:v1/{name}"


def test_every_message_gets_a_fresh_message_id(builder: envelope.RequestBuilder) -> None:
    ids = {body_of(builder.build("PingURL", {}))[0].findtext("messageId") for _ in range(3)}
    assert len(ids) == 3


def test_request_values_use_the_contract_text(builder: envelope.RequestBuilder) -> None:
    _, operation = body_of(
        builder.build("GetUsageByMeterNumbers", REQUESTS["GetUsageByMeterNumbers"])
    )
    assert operation.findtext("start") == "2024-03-10T00:00:00-06:00"
    assert operation.findtext("intervalLength") == "FifteenMinutes"
    _, operation = body_of(builder.build("SubmitOutageReports", REQUESTS["SubmitOutageReports"]))
    (report,) = operation.find("outageReports")
    assert [child.tag for child in report] == [
        "accountNumber",
        "serviceLocationID",
        "kind",
        "reportedAt",
    ]


def answer(name: str, *rows: tuple[str, object], missing: tuple[str, ...] = ()) -> bytes:
    message, response = response_envelope(name)
    for tag, record in rows:
        append_record(response, tag, record)
    if missing:
        keys = etree.SubElement(response, "missingKeys")
        for key in missing:
            etree.SubElement(keys, "key").text = key
    return serialize(message)


def grouped_answer(name: str, groups: dict[str, tuple[object, ...]], row: str) -> bytes:
    message, response = response_envelope(name)
    for key, rows in groups.items():
        group = etree.SubElement(response, "group")
        etree.SubElement(group, "key").text = key
        for record in rows:
            append_record(group, row, record)
    return serialize(message)


def read(name: str, content: bytes) -> dict[str, object]:
    operation = operations.BATCH_READS[name]
    return envelope.read_rows(operation, envelope.response_element(content, 200, name))


def test_single_rows_are_keyed_and_missing_keys_left_out() -> None:
    content = answer("GetAccountsByAccountNumbers", ("account", ACCOUNT), missing=("404",))
    rows = read("GetAccountsByAccountNumbers", content)
    assert rows == {"100200": ACCOUNT}
    assert rows == ZeepParser().read_rows("GetAccountsByAccountNumbers", content)


def test_grouped_rows_keep_empty_groups_as_empty_tuples() -> None:
    name = "GetBillingDetailsByAccountNumbers"
    content = grouped_answer(name, {"100200": (BILL, BILL), "100300": ()}, "bill")
    rows = read(name, content)
    assert rows == {"100200": (BILL, BILL), "100300": ()}
    assert rows == ZeepParser().read_rows(name, content)


RECEIPT = records.OutageReportReceipt("R-1", "SL-1", "E-1", records.OutageStatus.ASSUMED)
LATER_RECEIPT = records.OutageReportReceipt(
    "R-2", "SL-2", "E-1", records.OutageStatus.CONFIRMED, datetime(2024, 6, 1, 9, tzinfo=UTC)
)
TWO_REPORTS = [REPORT, dataclasses.replace(REPORT, service_location_id="SL-2")]


def read_receipts(
    items: list[records.OutageReport], *receipts: records.OutageReportReceipt
) -> list[object]:
    name = "SubmitOutageReports"
    content = answer(name, *[("outageReportReceipt", receipt) for receipt in receipts])
    element = envelope.response_element(content, 200, name)
    return envelope.read_answers(operations.BATCH_WRITES[name], element, items)


def test_write_answers_come_back_in_order() -> None:
    assert read_receipts(TWO_REPORTS, RECEIPT, LATER_RECEIPT) == [RECEIPT, LATER_RECEIPT]
    content = answer(
        "SubmitOutageReports",
        ("outageReportReceipt", RECEIPT),
        ("outageReportReceipt", LATER_RECEIPT),
    )
    assert ZeepParser().read_answers("SubmitOutageReports", content) == [RECEIPT, LATER_RECEIPT]


@pytest.mark.parametrize(
    ("receipts", "error"),
    [
        ((RECEIPT,), "1 answer rows for 2 request items"),
        ((RECEIPT, LATER_RECEIPT, LATER_RECEIPT), "3 answer rows for 2 request items"),
        ((LATER_RECEIPT, RECEIPT), "not in request order"),
    ],
    ids=["too few", "too many", "out of order"],
)
def test_write_answers_must_be_one_per_item_in_request_order(
    receipts: tuple[records.OutageReportReceipt, ...], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        read_receipts(TWO_REPORTS, *receipts)


@pytest.mark.parametrize(
    ("code", "error_type"),
    [
        (operations.FAULT_BATCH_TOO_LARGE, BatchTooLarge),
        (operations.FAULT_AUTHENTICATION, CisFault),  # not final: someone fixes the login
        (operations.FAULT_UNKNOWN_OBJECT, CisRefused),
        (operations.FAULT_INVALID_REQUEST, CisRefused),
    ],
)
def test_client_faults_become_typed_faults(code: str, error_type: type[CisFault]) -> None:
    content = serialize(fault_envelope(SoapFault(code, "no good", "accountNumbers")))
    with pytest.raises(error_type) as raised:
        envelope.response_element(content, 500, "GetAccountsByAccountNumbers")
    assert type(raised.value) is error_type
    assert (raised.value.code, raised.value.reason, raised.value.subject) == (
        code,
        "no good",
        "accountNumbers",
    )


@pytest.mark.parametrize("code", [operations.FAULT_SERVER, operations.FAULT_SERVER_BUSY])
def test_server_faults_are_transient(code: str) -> None:
    content = serialize(fault_envelope(SoapFault(code, "busy")))
    with pytest.raises(CisUnavailable, match=code):
        envelope.response_element(content, 500, "PingURL")


def test_a_fault_without_detail_is_read_from_faultcode() -> None:
    content = (
        f'<s:Envelope xmlns:s="{SOAP}"><s:Body><s:Fault><faultcode>s:Client.InvalidRequest'
        "</faultcode><faultstring>bad from</faultstring></s:Fault></s:Body></s:Envelope>"
    ).encode()
    with pytest.raises(CisFault) as raised:
        envelope.response_element(content, 500, "PingURL")
    assert (raised.value.code, raised.value.reason) == ("Client.InvalidRequest", "bad from")


@pytest.mark.parametrize(
    ("content", "status", "error_type"),
    [
        (b"<html><body>Internal Server Error</body></html", 502, CisUnavailable),
        (b"<html><body>Internal Server Error</body></html>", 503, CisUnavailable),
        (b"not xml", 200, CisError),
        (b"<html><body>Not Found</body></html>", 404, CisError),
        (answer("GetMethods"), 200, CisError),  # the answer of another operation
    ],
)
def test_answers_that_are_not_soap_are_errors(
    content: bytes, status: int, error_type: type[CisError]
) -> None:
    with pytest.raises(error_type) as raised:
        envelope.response_element(content, status, "PingURL")
    assert isinstance(raised.value, CisUnavailable) == (error_type is CisUnavailable)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>
<c:GetMethodsResponse xmlns:c="urn:coop-gateway:cis:v1"><method>&secret;</method>
</c:GetMethodsResponse></e:Body></e:Envelope>"""
_LAUGH_ENTITIES = "".join(
    f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10 if level else "lol"}">' for level in range(10)
)
# 10**9 "lol"s, 3 GB if expanded.
LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE e [{_LAUGH_ENTITIES}]>
<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>
<c:GetMethodsResponse xmlns:c="urn:coop-gateway:cis:v1"><method>&lol9;</method>
</c:GetMethodsResponse></e:Body></e:Envelope>""".encode()


def test_an_answer_with_a_doctype_is_refused() -> None:
    with pytest.raises(CisError, match="DOCTYPE") as raised:
        envelope.response_element(XXE, 200, "GetMethods")
    assert not isinstance(raised.value, CisUnavailable)


def test_an_entity_expansion_bomb_is_refused_at_once() -> None:
    started = time.monotonic()
    with pytest.raises(CisError) as raised:
        envelope.response_element(LAUGHS, 200, "GetMethods")
    assert time.monotonic() - started < 2  # expanding it would take minutes and 3 GB
    assert not isinstance(raised.value, CisUnavailable)


# The parser must read no file a document names: what it would find there is malformed,
# so reading it would end in a syntax error instead of the DOCTYPE refusal.
_MALFORMED = "<!ENTITY oops "


def test_the_parser_resolves_no_external_entity(tmp_path: Path) -> None:
    (tmp_path / "secret.xml").write_text(_MALFORMED)
    document = f"""<!DOCTYPE r [<!ENTITY secret SYSTEM "{(tmp_path / "secret.xml").as_uri()}">]>
        <r>&secret;</r>"""
    with pytest.raises(soap11.DoctypeRefused):
        soap11.parse_untrusted(document.encode())


# collect_ids=False once made lxml (libxml2 < 2.15) load the external subset despite
# load_dtd=False: a DOCTYPE naming file:///dev/stdin blocked the parsing thread.
def test_the_parser_loads_no_external_dtd(tmp_path: Path) -> None:
    (tmp_path / "evil.dtd").write_text(_MALFORMED)
    document = f'<!DOCTYPE r SYSTEM "{(tmp_path / "evil.dtd").as_uri()}"><r/>'
    with pytest.raises(soap11.DoctypeRefused):
        soap11.parse_untrusted(document.encode())
