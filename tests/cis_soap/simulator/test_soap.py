"""What the simulator's SOAP endpoint does with hostile, broken and unauthenticated requests."""

from __future__ import annotations

import socket
import time

import pytest

from adapters.cis_soap.xmlmap import NAMESPACE
from tests.cis_soap.soap_client import SoapClient
from tests.simulator_process import RunningSimulator

HEADER_XML = (
    "<soap:Header><cis:CisHeader><userId>gateway</userId><password>gateway-secret</password>"
    "<company>Test Co-op</company><appName>tests</appName><messageId>m-1</messageId>"
    "</cis:CisHeader></soap:Header>"
)


def envelope_text(body: str, *, header: str = HEADER_XML, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?>{prolog}'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
        f' xmlns:cis="{NAMESPACE}">{header}<soap:Body>{body}</soap:Body></soap:Envelope>'
    ).encode()


XXE = envelope_text(
    "<cis:GetMetersByMeterNumbers><meterNumbers><meterNumber>&passwd;</meterNumber>"
    "</meterNumbers></cis:GetMetersByMeterNumbers>",
    prolog='<!DOCTYPE soap:Envelope [<!ENTITY passwd SYSTEM "file:///etc/passwd">]>',
)
LAUGHS = envelope_text(
    "<cis:PingURL>&lol9;</cis:PingURL>",
    prolog="<!DOCTYPE soap:Envelope [<!ENTITY lol0 'lol'>"
    + "".join(f"<!ENTITY lol{n} '{f'&lol{n - 1};' * 10}'>" for n in range(1, 10))
    + "]>",
)
EXTERNAL_DTD = envelope_text("<cis:PingURL/>", prolog='<!DOCTYPE x SYSTEM "http://10.0.0.1/x.dtd">')


@pytest.mark.parametrize("payload", [XXE, LAUGHS, EXTERNAL_DTD], ids=["xxe", "laughs", "dtd"])
def test_doctypes_are_refused_fast_and_expand_nothing(
    simulator_soap: SoapClient, payload: bytes
) -> None:
    started = time.monotonic()
    response = simulator_soap.post(payload)
    # Generous for a busy machine; expanding or fetching anything would take far longer.
    assert time.monotonic() - started < 5
    assert simulator_soap.fault_of(response).code == "Client.InvalidRequest"
    assert "root:" not in response.text
    assert "lol" not in response.text
    assert len(response.content) < 2000


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "malformed XML"),
        (b"<soap:Envelope", "malformed XML"),
        (b'{"operation": "PingURL"}', "malformed XML"),
        (
            envelope_text("<cis:PingURL/>").replace(
                b"xmlsoap.org/soap/envelope/", b"w3.org/2003/05/soap-envelope"
            ),
            "not a SOAP 1.1 Envelope",
        ),
        (envelope_text("<cis:DropAllTables/>"), "unknown operation"),
        (envelope_text('<PingURL xmlns="urn:other"/>'), "unknown operation"),
        (envelope_text("<cis:PingURL/><cis:GetMethods/>"), "exactly one operation"),
        (envelope_text("<cis:GetActiveOutageEvents/>"), "sinceSequence"),
        (
            envelope_text(
                "<cis:GetActiveOutageEvents><sinceSequence>soon</sinceSequence>"
                "</cis:GetActiveOutageEvents>"
            ),
            "sinceSequence",
        ),
        (
            envelope_text("<cis:GetMethods><everything>true</everything></cis:GetMethods>"),
            "GetMethods",
        ),
        (envelope_text("<cis:GetMeterNumbers/>"), "unknown operation"),
    ],
    ids=[
        "empty",
        "truncated",
        "json",
        "soap12",
        "unknown",
        "other-namespace",
        "two-operations",
        "missing-parameter",
        "bad-long",
        "unexpected-element",
        "near-miss-name",
    ],
)
def test_invalid_requests_answer_client_invalid_request(
    simulator_soap: SoapClient, payload: bytes, reason: str
) -> None:
    fault = simulator_soap.fault(payload)
    assert fault.code == "Client.InvalidRequest"
    assert reason in fault.reason


def test_a_schema_invalid_read_names_the_problem(simulator_soap: SoapClient) -> None:
    read = simulator_soap.read_request(
        "GetUsageByMeterNumbers",
        ["M-1"],
        start="2026-01-01T00:00:00-06:00",
        end="2026-01-02T00:00:00-06:00",
        intervalLength="Weekly",
    )
    fault = simulator_soap.fault(simulator_soap.envelope(read))
    assert fault.code == "Client.InvalidRequest"
    assert "intervalLength" in fault.reason


def test_an_instant_without_offset_is_an_invalid_request(simulator_soap: SoapClient) -> None:
    read = simulator_soap.read_request(
        "GetUsageByMeterNumbers",
        ["M-1"],
        start="2026-01-01T00:00:00",
        end="2026-01-02T00:00:00",
        intervalLength="Hourly",
    )
    fault = simulator_soap.fault(simulator_soap.envelope(read))
    assert fault.code == "Client.InvalidRequest"


def test_an_oversized_body_is_refused_before_it_is_read(simulator: RunningSimulator) -> None:
    host, port = simulator.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(
            b"POST /cis HTTP/1.1\r\nHost: cis\r\nContent-Type: text/xml\r\n"
            b"Content-Length: 50000000\r\n\r\n"
        )
        answer = b""
        while b"</soap:Envelope>" not in answer and (chunk := connection.recv(65536)):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 500")
    assert b"Client.InvalidRequest" in answer
    assert b"larger than" in answer


@pytest.mark.parametrize(
    "header",
    [
        None,
        {
            "userId": "gateway",
            "password": "wrong",
            "company": "c",
            "appName": "a",
            "messageId": "m",
        },
        {
            "userId": "intruder",
            "password": "gateway-secret",
            "company": "c",
            "appName": "a",
            "messageId": "m",
        },
    ],
    ids=["no-header", "wrong-password", "unknown-user"],
)
def test_bad_credentials_fail_authentication(
    simulator_soap: SoapClient, header: dict[str, str] | None
) -> None:
    ping = simulator_soap.envelope(simulator_soap.operation("PingURL"), header)
    fault = simulator_soap.fault(ping)
    assert fault.code == "Client.AuthenticationFailed"
    assert "secret" not in fault.reason


def test_header_fields_are_required(simulator_soap: SoapClient) -> None:
    header = {"userId": "gateway", "password": "gateway-secret", "appName": "a", "messageId": "m"}
    fault = simulator_soap.fault(
        simulator_soap.envelope(simulator_soap.operation("PingURL"), header)
    )
    assert fault.code == "Client.InvalidRequest"
    assert "company" in fault.reason


def test_the_message_id_is_echoed(simulator_soap: SoapClient) -> None:
    response = simulator_soap.post(simulator_soap.envelope(simulator_soap.operation("PingURL")))
    assert response.status_code == 200
    assert response.headers["x-cis-message-id"] == "test-0001"


def test_soap_action_does_not_choose_the_operation(simulator_soap: SoapClient) -> None:
    body = simulator_soap.envelope(simulator_soap.operation("GetMethods"))
    response = simulator_soap.http.post(
        simulator_soap.soap_url,
        content=body,
        headers={"Content-Type": "text/xml", "SOAPAction": '"urn:coop-gateway:cis:v1/PingURL"'},
    )
    assert response.status_code == 200
    assert "GetMethodsResponse" in response.text
