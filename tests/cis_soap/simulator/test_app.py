"""Every CIS operation answers over real HTTP, valid against the XSD, and zeep can use the WSDL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import zeep
from lxml import etree

from adapters import records
from adapters.cis_soap import operations
from adapters.cis_soap.simulator.app import create_app
from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.control import SimulatorSettings
from adapters.cis_soap.xmlmap import NAMESPACE, item_name
from tests.cis_soap.local_server import serving
from tests.cis_soap.soap_client import SoapClient, texts
from tests.simulator_process import RunningSimulator, SimulatorControl

UNKNOWN = "NO-SUCH-KEY-0000"
XS = "http://www.w3.org/2001/XMLSchema"
CREDENTIALS = {
    "userId": "gateway",
    "password": "gateway-secret",
    "company": "Test Co-op",
    "appName": "coop-gateway-tests",
    "messageId": "zeep-0001",
}


@dataclass(frozen=True)
class KnownKeys:
    """Keys of a few simulated members, found through the simulator's own answers."""

    accounts: tuple[str, ...]
    customers: tuple[str, ...]
    locations: tuple[str, ...]
    meters: tuple[str, ...]
    outage_events: tuple[str, ...]

    def of(self, wrapper: str) -> tuple[str, ...]:
        return {
            "accountNumbers": self.accounts,
            "customerIDs": self.customers,
            "serviceLocationIDs": self.locations,
            "meterNumbers": self.meters,
            "outageEventIDs": self.outage_events,
        }[wrapper]


@pytest.fixture(scope="module")
def known(simulator: RunningSimulator, simulator_soap: SoapClient) -> KnownKeys:
    sample = httpx.get(f"{simulator.url}/_sim/sample", params={"n": 3}).json()
    accounts = tuple(member["account_number"] for member in sample)
    answer = simulator_soap.call(
        simulator_soap.read_request("GetAccountsByAccountNumbers", accounts)
    )
    customers = tuple(sorted(set(texts(answer, "account/customerID"))))
    locations = tuple(sorted(texts(answer, "account/serviceLocationIDs/serviceLocationID")))
    answer = simulator_soap.call(
        simulator_soap.read_request("GetServiceLocationsByAccountNumbers", accounts)
    )
    meters = tuple(sorted(texts(answer, "group/serviceLocation/meterNumbers/meterNumber")))
    history = simulator_soap.call(
        simulator_soap.read_request("GetOutageHistoryByAccountNumbers", accounts, **period())
    )
    active = simulator_soap.call(
        simulator_soap.operation("GetActiveOutageEvents", simulator_soap.leaf("sinceSequence", "0"))
    )
    events = {
        *texts(history, "group/outageEvent/outageEventID"),
        *texts(active, "outageEvent/outageEventID"),
    }
    assert customers
    assert locations
    assert meters
    return KnownKeys(accounts, customers, locations, meters, tuple(sorted(events))[:5])


def period() -> dict[str, str]:
    today = date.today()
    return {"from_": (today - timedelta(days=400)).isoformat(), "to": today.isoformat()}


def window() -> dict[str, str]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=2)
    return {"start": start.isoformat(), "end": end.isoformat(), "intervalLength": "Hourly"}


def params_of(read: operations.BatchRead) -> dict[str, str]:
    return period() if "from" in read.params else window() if read.params else {}


def write_items(name: str, known: KnownKeys) -> list[object]:
    now = datetime.now(UTC).replace(microsecond=0)
    account, location, customer = known.accounts[0], known.locations[0], known.customers[0]
    items: dict[str, list[object]] = {
        "SubmitOutageReports": [
            records.OutageReport(
                account, location, records.OutageReportKind.NO_POWER, now, note="tree on line"
            )
        ],
        "ProcessPaymentTransactions": [
            records.PaymentTransaction(
                f"test-{uuid.uuid4()}",
                account,
                Decimal("12.34"),
                records.TenderType.CARD,
                records.PaymentChannel.WEB,
                now,
            )
        ],
        "UpdateCustomerContactInfo": [records.ContactUpdate(customer, email="m@example.org")],
    }
    return items[name]


def request_for(name: str, known: KnownKeys, soap: SoapClient) -> etree._Element:
    if name in operations.BATCH_READS:
        read = operations.BATCH_READS[name]
        keys = [*known.of(read.keys), UNKNOWN]
        return soap.read_request(name, keys, **params_of(read))
    if name in operations.BATCH_WRITES:
        return soap.write_request(name, write_items(name, known))
    if name == "GetActiveOutageEvents":
        return soap.operation(name, soap.leaf("sinceSequence", "0"))
    return soap.operation(name)


@pytest.mark.parametrize("name", operations.ALL_OPERATIONS)
def test_every_operation_answers_valid_xml(
    simulator_soap: SoapClient, known: KnownKeys, name: str
) -> None:
    answer = simulator_soap.call(request_for(name, known, simulator_soap))  # checks the XSD
    assert answer.tag == f"{{{NAMESPACE}}}{name}Response"
    if name in operations.BATCH_READS:
        read = operations.BATCH_READS[name]
        assert texts(answer, "missingKeys/key") == [UNKNOWN]
        if read.grouped:
            assert sorted(texts(answer, "group/key")) == sorted(known.of(read.keys))
        else:
            assert len(answer.findall(read.row)) == len(known.of(read.keys))
    elif name in operations.BATCH_WRITES:
        assert len(answer.findall(operations.BATCH_WRITES[name].row)) == 1


def test_get_methods_lists_every_operation(simulator_soap: SoapClient) -> None:
    answer = simulator_soap.call(simulator_soap.operation("GetMethods"))
    assert tuple(texts(answer, "method")) == operations.ALL_OPERATIONS


@pytest.fixture(scope="module")
def zeep_client(simulator: RunningSimulator) -> zeep.Client:
    settings = zeep.Settings(forbid_dtd=True, forbid_entities=True)
    return zeep.Client(f"{simulator.soap_url}?wsdl", settings=settings)


def test_zeep_loads_the_served_wsdl_and_calls_it(
    zeep_client: zeep.Client, simulator: RunningSimulator
) -> None:
    assert zeep_client.service._binding_options["address"] == simulator.soap_url
    answer = zeep_client.service.GetMethods(_soapheaders={"CisHeader": CREDENTIALS})
    assert tuple(answer) == operations.ALL_OPERATIONS


@pytest.mark.parametrize("name", operations.BATCH_READS)
def test_requests_built_by_zeep_are_accepted(
    zeep_client: zeep.Client, simulator_soap: SoapClient, known: KnownKeys, name: str
) -> None:
    read = operations.BATCH_READS[name]
    params = {tag.rstrip("_"): value for tag, value in params_of(read).items()}
    message = zeep_client.create_message(
        zeep_client.service,
        name,
        _soapheaders={"CisHeader": CREDENTIALS},
        **{read.keys: {item_name(read.keys): list(known.of(read.keys))}},
        **params,
    )
    response = simulator_soap.post(etree.tostring(message))
    assert response.status_code == 200, response.text
    assert f"{name}Response" in response.text


def test_the_schema_is_served_where_the_wsdl_imports_it(simulator: RunningSimulator) -> None:
    wsdl = etree.fromstring(httpx.get(f"{simulator.soap_url}?wsdl").content)
    (location,) = [found.get("schemaLocation", "") for found in wsdl.iter(f"{{{XS}}}import")]
    assert location == f"{simulator.soap_url}?xsd=cis.xsd"
    schema = etree.fromstring(httpx.get(location).content)
    assert schema.get("targetNamespace") == NAMESPACE
    etree.XMLSchema(schema)  # compiles
    assert httpx.get(f"{simulator.soap_url}?xsd=../../etc/passwd").status_code == 404


def test_too_large_a_batch_is_a_fault_naming_the_list(
    simulator_soap: SoapClient, simulator_control: SimulatorControl
) -> None:
    read = simulator_soap.read_request("GetAccountsByAccountNumbers", [UNKNOWN] * 501)
    fault = simulator_soap.fault(simulator_soap.envelope(read))
    assert (fault.code, fault.subject) == ("Client.BatchTooLarge", "accountNumbers")
    simulator_soap.call(simulator_soap.read_request("GetAccountsByAccountNumbers", [UNKNOWN] * 500))
    simulator_control.set(max_batch_size=2)
    updates = [records.ContactUpdate(f"C-{number}") for number in range(3)]
    fault = simulator_soap.fault(
        simulator_soap.envelope(simulator_soap.write_request("UpdateCustomerContactInfo", updates))
    )
    assert (fault.code, fault.subject) == ("Client.BatchTooLarge", "contactUpdates")


def test_a_read_answers_every_known_key_and_lists_the_rest(
    simulator_soap: SoapClient, known: KnownKeys
) -> None:
    keys = [*known.accounts, UNKNOWN, known.accounts[0]]  # a repeated key is answered once
    answer = simulator_soap.call(simulator_soap.read_request("GetAccountsByAccountNumbers", keys))
    assert sorted(texts(answer, "account/accountNumber")) == sorted(known.accounts)
    assert texts(answer, "missingKeys/key") == [UNKNOWN]


def test_sample_lists_members_to_try(simulator: RunningSimulator) -> None:
    sample = httpx.get(f"{simulator.url}/_sim/sample", params={"n": 4}).json()
    assert len(sample) == 4
    assert {"account_number", "name", "service_zip", "email"} <= set(sample[0])
    assert httpx.get(f"{simulator.url}/_sim/sample", params={"n": "many"}).status_code == 400


def test_health(simulator: RunningSimulator) -> None:
    assert httpx.get(f"{simulator.url}/_sim/health").json() == {"status": "ok"}


def test_backend_faults_reach_the_client_as_soap_faults(simulator_soap: SoapClient) -> None:
    payment = records.PaymentTransaction(
        f"test-{uuid.uuid4()}",
        UNKNOWN,
        Decimal("5.00"),
        records.TenderType.ACH,
        records.PaymentChannel.WEB,
        datetime.now(UTC).replace(microsecond=0),
    )
    request = simulator_soap.write_request("ProcessPaymentTransactions", [payment])
    fault = simulator_soap.fault(simulator_soap.envelope(request))
    assert (fault.code, fault.subject) == ("Client.UnknownObject", UNKNOWN)


class BrokenCis(SimulatedCis):
    """A simulated CIS whose meter table is broken, with secrets in its error."""

    async def get_meters(self, meter_numbers: Sequence[str]) -> Mapping[str, records.Meter]:
        raise RuntimeError("cannot reach postgres://cis:hunter2@db.internal/cis")


@pytest.fixture(scope="module")
def broken_simulator() -> Iterator[str]:
    settings = SimulatorSettings(max_request_bytes=4000)
    with serving(create_app(BrokenCis(seed=3, members=5), settings=settings)) as url:
        yield url


def test_unexpected_errors_answer_server_internal_without_internals(
    broken_simulator: str, simulator_soap: SoapClient
) -> None:
    read = simulator_soap.read_request("GetMetersByMeterNumbers", ["M-1"])
    response = httpx.post(f"{broken_simulator}/cis", content=simulator_soap.envelope(read))
    fault = simulator_soap.fault_of(response)
    assert fault.code == "Server.Internal"
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    answer = httpx.post(
        f"{broken_simulator}/cis",
        content=simulator_soap.envelope(simulator_soap.operation("GetMethods")),
    )
    assert answer.status_code == 200  # the server itself carries on


@pytest.mark.parametrize("chunked", [False, True])
def test_bodies_over_the_limit_are_refused(
    broken_simulator: str, simulator_soap: SoapClient, chunked: bool
) -> None:
    read = simulator_soap.envelope(
        simulator_soap.read_request("GetMetersByMeterNumbers", ["M-0001"] * 400)
    )
    assert len(read) > 4000
    content = iter([read[:3000], read[3000:]]) if chunked else read
    response = httpx.post(f"{broken_simulator}/cis", content=content)
    fault = simulator_soap.fault_of(response)
    assert fault.code == "Client.InvalidRequest"
    assert "larger than 4000 bytes" in fault.reason
