"""The WSDL/XSD contract agrees with zeep, with xmlmap's rules and with the domain records."""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import zeep
import zeep.exceptions
from lxml import etree
from zeep.helpers import serialize_object
from zeep.transports import Transport

from adapters import records as r
from adapters.cis_soap import operations
from adapters.cis_soap.contract_files import WSDL_PATH, XSD_PATH, request_schema
from adapters.cis_soap.xmlmap import NAMESPACE, append_record, append_value, element_name, item_name

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XS = "http://www.w3.org/2001/XMLSchema"
CHICAGO = ZoneInfo("America/Chicago")
HEADER = {"userId": "gw", "password": "s3cret", "company": "Prairie Electric Cooperative",
          "appName": "coop-gateway", "messageId": "8f14e45f"}  # fmt: skip


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


HOME = r.Address("4012 County Road 12", "Stillwater", "OK", "74074")
OFFICE = r.Address("220 W Main St", "Perkins", "OK", "74059", line2="Suite 4")
FARM = r.GeoPoint(Decimal("36.115602"), Decimal("-97.058367"))
NO_BALANCE = r.Balance(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"),
                       Decimal("0.00"))  # fmt: skip
AREA = r.OutageArea(FARM, (FARM, r.GeoPoint(Decimal("36.12"), Decimal("-97.05")), FARM))
TOU = r.TimeOfUsePeriod("On-peak", 14, 19, weekdays_only=True,
                        energy_charge_per_kwh=Decimal("0.21375"))  # fmt: skip

# Per wire type: a record with every optional field absent and every tuple empty, then one
# with everything present (the coverage test below holds the samples to that).
SAMPLES: dict[type, tuple[Any, ...]] = {
    r.Customer: (
        r.Customer("C-1001", "Hargrove Feed & Seed", HOME),
        r.Customer("C-1002", "Okafor", OFFICE, first_name="Amaka", dba_name="Okafor Farms",
                   email="amaka@example.org", home_phone="405-555-0142",
                   day_phone="405-555-0199"),
    ),
    r.Account: (
        r.Account("A-2001", "C-1001", r.AccountStatus.PENDING_DISCONNECT, "07", False, False,
                  NO_BALANCE),
        r.Account("A-2002", "C-1002", r.AccountStatus.ACTIVE, "12", True, False,
                  r.Balance(Decimal("84.12"), Decimal("-20.00"), Decimal("0"), Decimal("3.5"),
                            Decimal("67.62")),
                  payment_due_date=date(2024, 4, 15), last_payment_date=date(2024, 3, 14),
                  last_payment_amount=Decimal("131.07"), last_bill_date=date(2024, 3, 28),
                  last_bill_amount=Decimal("84.12"), shut_off_date=date(2024, 5, 20),
                  service_location_ids=("SL-3001", "SL-3002")),
    ),
    r.ServiceLocation: (
        r.ServiceLocation("SL-3001", "A-2002", HOME, "Electric", "Residential",
                          r.ServiceStatus.ACTIVE, r.PowerStatus.POWER_ON),
        r.ServiceLocation("SL-3002", "A-2002", OFFICE, "Electric", "Small Commercial",
                          r.ServiceStatus.DISCONNECTED, r.PowerStatus.STATUS_UNKNOWN, gps=FARM,
                          meter_numbers=("M-4001", "M-4002")),
    ),
    r.Meter: (
        r.Meter("M-4001", "SL-3001", r.MeterKind.AMI, is_net_metered=True, multiplier=Decimal(1)),
        r.Meter("M-4002", "SL-3002", r.MeterKind.AMR, is_net_metered=False,
                multiplier=Decimal("40")),
    ),
    r.Bill: (
        r.Bill("B-5001", "A-2002", date(2024, 2, 27), date(2024, 1, 25), date(2024, 2, 24),
               date(2024, 3, 15), Decimal("0.00"), Decimal("0.00"), Decimal("0.00"),
               Decimal("0")),
        r.Bill("B-5002", "A-2002", date(2024, 3, 28), date(2024, 2, 25), date(2024, 3, 26),
               date(2024, 4, 15), Decimal("131.07"), Decimal("-131.07"), Decimal("84.12"),
               Decimal("612.375"),
               charges=(r.ChargeLine("Facility charge", Decimal("25.00")),
                        r.ChargeLine("Energy 612.375 kWh", Decimal("59.12")))),
    ),
    r.Payment: (
        r.Payment("P-6001", "A-2002", Decimal("131.07"), r.TenderType.CHECK,
                  r.PaymentChannel.DROP_BOX, at(2024, 3, 14, 9, 5)),
        r.Payment("P-6002", "A-2002", Decimal("50"), r.TenderType.CARD, r.PaymentChannel.WEB,
                  at(2024, 3, 30, 23, 59).replace(microsecond=250000),
                  external_reference="web-7f3a"),
    ),
    r.RateSchedule: (
        r.RateSchedule("A-2001", "RS-1", "Residential Service", Decimal("0.98630137"),
                       Decimal("0.11820")),
        r.RateSchedule("A-2002", "TOU-R", "Residential Time of Use", Decimal("1.0"),
                       Decimal("0.09410"), time_of_use_periods=(TOU, dataclasses.replace(
                           TOU, name="Super off-peak", start_hour=0, end_hour=24,
                           weekdays_only=False))),
    ),
    r.UsageInterval: (
        # A daily interval of the spring-forward day is a local day of 23 hours.
        r.UsageInterval(at(2024, 3, 10), at(2024, 3, 11), Decimal("31.774"), Decimal("0"),
                        r.ReadingQuality.ACTUAL),
        r.UsageInterval(at(2024, 3, 11, 14), at(2024, 3, 11, 14, 15), Decimal("0.412"),
                        Decimal("1.0375"), r.ReadingQuality.ESTIMATED),
    ),
    r.OutageEvent: (
        r.OutageEvent("O-7001", r.OutageStatus.ASSUMED, at(2024, 5, 2, 17, 40), 3, 0,
                      r.CrewStatus.NOT_ASSIGNED, False, r.OutageArea(FARM), 41),
        r.OutageEvent("O-7002", r.OutageStatus.RESTORED, at(2024, 5, 1, 2, 10), 412, 412,
                      r.CrewStatus.COMPLETE, True, AREA, 9_000_000_001,
                      cause="Planned maintenance", estimated_restoration=at(2024, 5, 1, 6),
                      restored_at=at(2024, 5, 1, 5, 48), substation="Ripley",
                      feeder="RIP-2"),
    ),
    r.LocationOutageStatus: (
        r.LocationOutageStatus("SL-3001", r.PowerStatus.POWER_ON),
        r.LocationOutageStatus("SL-3002", r.PowerStatus.POWER_OFF, outage_event_id="O-7001",
                               estimated_restoration=at(2024, 5, 2, 21)),
    ),
    r.OutageReport: (
        r.OutageReport("A-2002", "SL-3001", r.OutageReportKind.NO_POWER, at(2024, 5, 2, 17, 42)),
        r.OutageReport("A-2002", "SL-3002", r.OutageReportKind.LINE_DOWN,
                       at(2024, 5, 2, 17, 44), note="Line across the driveway",
                       callback_phone="405-555-0199"),
    ),
    r.OutageReportReceipt: (
        r.OutageReportReceipt("R-8001", "SL-3001", "O-7001", r.OutageStatus.ASSUMED),
        r.OutageReportReceipt("R-8002", "SL-3002", "O-7001", r.OutageStatus.CONFIRMED,
                              estimated_restoration=at(2024, 5, 2, 21)),
    ),
    r.PaymentTransaction: (
        r.PaymentTransaction("web-7f3a", "A-2002", Decimal("50.00"), r.TenderType.ACH,
                             r.PaymentChannel.AUTOPAY, at(2024, 3, 30, 23, 59)),
    ),
    r.PaymentReceipt: (
        r.PaymentReceipt("web-7f3a", "P-6002", "A-2002", Decimal("50.00"), at(2024, 3, 31),
                         already_applied=True),
    ),
    r.ContactUpdate: (
        r.ContactUpdate("C-1001"),
        r.ContactUpdate("C-1002", email="amaka@example.net", home_phone="405-555-0100",
                        day_phone="405-555-0101", billing_address=HOME),
    ),
}  # fmt: skip

KEYS = ("K-1", "K-2")
READ_PARAMS: dict[str, object] = {
    "from": date(2024, 1, 1),
    "to": date(2024, 3, 31),
    "start": at(2024, 3, 10),
    "end": at(2024, 3, 11),
    "intervalLength": r.IntervalLength.FIFTEEN_MINUTES,
}


class OfflineTransport(Transport):
    """Fails the test if zeep reaches for anything but local files."""

    def _load_remote_data(self, url: str) -> bytes:
        raise AssertionError(f"zeep tried to load {url}")

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> None:
        raise AssertionError(f"zeep tried to post to {address}")


@pytest.fixture(scope="module")
def client() -> zeep.Client:
    settings = zeep.Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    return zeep.Client(str(WSDL_PATH), transport=OfflineTransport(), settings=settings)


@pytest.fixture(scope="module")
def binding(client: zeep.Client) -> Any:
    port = client.wsdl.services["CustomerInformationService"].ports["CustomerInformationPort"]
    return port.binding


def as_zeep(value: object, tag: str, *, empty_wrapper: object = ()) -> object:
    """``value`` as zeep takes and returns it; zeep reads an empty list wrapper as None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return {
            element_name(f.name): as_zeep(
                getattr(value, f.name), element_name(f.name), empty_wrapper=empty_wrapper
            )
            for f in fields
        }
    if isinstance(value, tuple):
        if not value and empty_wrapper is None:
            return None
        item = item_name(tag)
        return {item: [as_zeep(v, item, empty_wrapper=empty_wrapper) for v in value]}
    return value.value if isinstance(value, enum.Enum) else value


def request_values(name: str) -> dict[str, object]:
    """A request's children by element name, as domain values."""
    if name in operations.BATCH_READS:
        read = operations.BATCH_READS[name]
        return {read.keys: KEYS, **{param: READ_PARAMS[param] for param in read.params}}
    if name in operations.BATCH_WRITES:
        write = operations.BATCH_WRITES[name]
        return {write.items: SAMPLES[write.item_type]}
    return {"sinceSequence": 41} if name == "GetActiveOutageEvents" else {}


def shape(element: etree._Element) -> tuple[object, ...]:
    return (element.tag, (element.text or "").strip(), [shape(child) for child in element])


def nested_records(record: object) -> Iterator[object]:
    yield record
    for field in dataclasses.fields(record):  # type: ignore[arg-type]
        value = getattr(record, field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(item):
                yield from nested_records(item)


def wire_record_types() -> set[type]:
    """Every record type that appears in some operation's request or response."""
    found: set[type] = set()
    pending = [op.row_type for op in operations.BATCH_READS.values()]
    pending += [t for op in operations.BATCH_WRITES.values() for t in (op.item_type, op.row_type)]
    while pending:
        record_type = pending.pop()
        found.add(record_type)
        for hint in typing.get_type_hints(record_type).values():
            for arg in (hint, *typing.get_args(hint)):
                if dataclasses.is_dataclass(arg) and arg not in found:
                    pending.append(arg)  # type: ignore[arg-type]
    return found


def response(name: str) -> etree._Element:
    """A response wrapper holding every sample row, built with xmlmap's rules."""
    root = etree.Element(etree.QName(NAMESPACE, name + "Response"))
    if name in operations.BATCH_READS:
        read = operations.BATCH_READS[name]
        rows_parent = root
        if read.grouped:  # one group with every sample, one known key without rows
            rows_parent = etree.SubElement(root, "group")
            append_value(rows_parent, "key", KEYS[0])
            append_value(etree.SubElement(root, "group"), "key", KEYS[1])
        for row in SAMPLES[read.row_type]:
            append_record(rows_parent, read.row, row)
        etree.SubElement(etree.SubElement(root, "missingKeys"), "key").text = "K-404"
    elif name in operations.BATCH_WRITES:
        write = operations.BATCH_WRITES[name]
        for row in SAMPLES[write.row_type]:
            append_record(root, write.row, row)
    elif name == "GetActiveOutageEvents":
        for event in SAMPLES[r.OutageEvent]:
            append_record(root, "outageEvent", event)
        append_value(root, "latestSequence", 9_000_000_001)
    elif name == "GetMethods":
        for method in operations.ALL_OPERATIONS:
            append_value(root, "method", method)
    else:
        append_value(root, "status", "OK")
        append_value(root, "serverTime", at(2024, 11, 4, 9, 30))
    return root


def envelope(body_child: etree._Element) -> etree._Element:
    root = etree.Element(etree.QName(SOAP_ENV, "Envelope"))
    etree.SubElement(root, etree.QName(SOAP_ENV, "Body")).append(body_child)
    return root


def test_samples_cover_every_wire_record_with_optionals_absent_and_present() -> None:
    everything = [n for rows in SAMPLES.values() for row in rows for n in nested_records(row)]
    assert {type(record) for record in everything} == wire_record_types()
    for record_type in wire_record_types():
        of_type = [record for record in everything if type(record) is record_type]
        for field in dataclasses.fields(record_type):
            values = [getattr(record, field.name) for record in of_type]
            if field.default is not dataclasses.MISSING:
                assert field.default in values, f"{record_type.__name__}.{field.name} unset"
                assert any(v != field.default for v in values), f"{field.name} never set"


def test_xsd_types_follow_record_fields_and_enums() -> None:
    xsd = etree.parse(str(XSD_PATH))
    ns = {"xs": XS}
    for record_type in wire_record_types():
        elements = xsd.findall(f"xs:complexType[@name='{record_type.__name__}']"
                               "/xs:sequence/xs:element", ns)  # fmt: skip
        fields = dataclasses.fields(record_type)
        assert [e.get("name") for e in elements] == [element_name(f.name) for f in fields]
        optional = [f.default is not dataclasses.MISSING for f in fields]
        assert [e.get("minOccurs") == "0" for e in elements] == optional, record_type
    enums = [v for v in vars(r).values() if isinstance(v, type) and issubclass(v, enum.Enum)]
    for enum_type in enums:
        values = xsd.xpath(f"xs:simpleType[@name='{enum_type.__name__}']//@value", namespaces=ns)
        assert values == [member.value for member in enum_type]


def test_contract_folder_is_self_contained() -> None:
    ns = {"xs": XS, "wsdl": "http://schemas.xmlsoap.org/wsdl/"}
    wsdl = etree.parse(str(WSDL_PATH))
    assert wsdl.xpath("//wsdl:import | //xs:include | //xs:redefine", namespaces=ns) == []
    assert wsdl.xpath("//xs:import/@schemaLocation", namespaces=ns) == [XSD_PATH.name]
    xsd = etree.parse(str(XSD_PATH))
    assert xsd.xpath("//xs:import | //xs:include | //xs:redefine", namespaces=ns) == []


def test_wsdl_loads_offline_with_exactly_the_contract_operations(
    client: zeep.Client, binding: Any
) -> None:
    assert sorted(binding.all()) == sorted(operations.ALL_OPERATIONS)
    for name, operation in binding.all().items():
        assert operation.soapaction == f"{NAMESPACE}/{name}"
        headers = [element.qname for _, element in operation.input.header.type.elements]
        assert headers == [etree.QName(NAMESPACE, "CisHeader")]
        (fault,) = operation.faults.values()
        (detail,) = fault.abstract.parts.values()
        assert detail.element.qname == etree.QName(NAMESPACE, "CisFault")
    assert client.service._binding_options["address"] == "http://localhost:8001/cis"


@pytest.mark.parametrize("name", operations.ALL_OPERATIONS)
def test_zeep_requests_validate_and_match_xmlmap(client: zeep.Client, name: str) -> None:
    values = request_values(name)
    kwargs = {tag: as_zeep(value, tag) for tag, value in values.items()}
    message = client.create_message(client.service, name, **kwargs,
                                    _soapheaders={"CisHeader": HEADER})  # fmt: skip
    header, body = message
    schema = request_schema()
    assert schema.validate(header[0]), schema.error_log
    assert schema.validate(body[0]), schema.error_log
    expected = etree.Element(etree.QName(NAMESPACE, name))
    for tag, value in values.items():
        append_value(expected, tag, value)
    assert shape(body[0]) == shape(expected)


def test_an_oversize_batch_is_left_to_the_batch_too_large_fault() -> None:
    request = etree.Element(etree.QName(NAMESPACE, "GetMetersByMeterNumbers"))
    keys = tuple(f"M-{n}" for n in range(operations.MAX_BATCH_SIZE + 1))
    append_value(request, "meterNumbers", keys)
    assert request_schema().validate(request)


@pytest.mark.parametrize("name", operations.ALL_OPERATIONS)
def test_responses_validate_and_zeep_reads_the_records(binding: Any, name: str) -> None:
    body_child = response(name)
    assert request_schema().validate(body_child), request_schema().error_log
    got = serialize_object(binding.get(name).process_reply(envelope(body_child)))

    def rows(record_type: type) -> list[object]:
        return [as_zeep(row, "", empty_wrapper=None) for row in SAMPLES[record_type]]

    if name in operations.BATCH_READS:
        read = operations.BATCH_READS[name]
        assert got["missingKeys"] == {"key": ["K-404"]}
        if read.grouped:
            expected = [{"key": KEYS[0], read.row: rows(read.row_type)},
                        {"key": KEYS[1], read.row: []}]  # fmt: skip
            assert got["group"] == expected
        else:
            assert got[read.row] == rows(read.row_type)
    elif name in operations.BATCH_WRITES:
        assert got == rows(operations.BATCH_WRITES[name].row_type)
    elif name == "GetActiveOutageEvents":
        assert got == {"outageEvent": rows(r.OutageEvent), "latestSequence": 9_000_000_001}
    elif name == "GetMethods":
        assert got == list(operations.ALL_OPERATIONS)
    else:
        assert got == {"status": "OK", "serverTime": at(2024, 11, 4, 9, 30)}


def _found(root: etree._Element, path: str) -> etree._Element:
    element = root.find(path)
    assert element is not None, path
    return element


def _set_text(path: str, text: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        _found(root, path).text = text

    return mutate


def _remove(path: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        element = _found(root, path)
        _found(element, "..").remove(element)

    return mutate


def _qualify(path: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        element = _found(root, path)
        element.tag = etree.QName(NAMESPACE, element.tag).text

    return mutate


def _swap_first_children(path: str) -> Callable[[etree._Element], None]:
    def mutate(root: etree._Element) -> None:
        element = _found(root, path)
        element.insert(0, element[1])

    return mutate


@pytest.mark.parametrize(
    ("name", "mutate"),
    [
        pytest.param("GetPaymentsByAccountNumbers", _set_text("group/payment/amount", "131.075"),
                     id="money-with-3-decimals"),
        pytest.param("GetAccountsByAccountNumbers", _set_text("account/balance/total", "1e3"),
                     id="money-in-exponent-form"),
        pytest.param("GetPaymentsByAccountNumbers",
                     _set_text("group/payment/amount", "1" * 17 + ".01"),
                     id="money-over-18-digits"),
        pytest.param("ProcessPaymentTransactions",
                     _set_text("paymentReceipt/amount", "1" * 29 + ".00"),
                     id="money-beyond-decimal-precision"),
        pytest.param("GetUsageByMeterNumbers",
                     _set_text("group/interval/kWhDelivered", "1" * 19),
                     id="quantity-over-18-digits"),
        pytest.param("GetAccountsByAccountNumbers",
                     _set_text("account/accountStatus", "Suspended"), id="unknown-enum-value"),
        pytest.param("GetUsageByMeterNumbers", _set_text("group/interval/quality", "actual"),
                     id="enum-value-in-wrong-case"),
        pytest.param("GetServiceLocationsByAccountNumbers",
                     _set_text("group/serviceLocation/gps/latitude", "90.5"),
                     id="latitude-out-of-range"),
        pytest.param("GetRateSchedulesByAccountNumbers",
                     _set_text("rateSchedule/timeOfUsePeriods/timeOfUsePeriod/endHour", "25"),
                     id="hour-out-of-range"),
        pytest.param("GetOutageEventsByIDs", _set_text("outageEvent/customersAffected", "-1"),
                     id="negative-count"),
        pytest.param("GetOutageEventsByIDs", _remove("outageEvent/area"),
                     id="required-element-missing"),
        pytest.param("GetMetersByMeterNumbers", _swap_first_children("meter"),
                     id="elements-out-of-order"),
        pytest.param("GetCustomersByCustomerIDs", _qualify("customer/lastName"),
                     id="qualified-local-element"),
        pytest.param("ProcessPaymentTransactions",
                     _set_text("paymentReceipt/alreadyApplied", "yes"), id="not-a-boolean"),
        pytest.param("PingURL", _set_text("serverTime", "2024-11-04 09:30"),
                     id="instant-not-iso"),
        pytest.param("GetPaymentsByAccountNumbers",
                     _set_text("group/payment/postedAt", "2024-03-14T09:05:00"),
                     id="instant-without-offset"),
    ],
)  # fmt: skip
def test_schema_rejects_what_breaks_the_contract(
    name: str, mutate: Callable[[etree._Element], None]
) -> None:
    body_child = response(name)
    assert request_schema().validate(body_child)
    mutate(body_child)
    assert not request_schema().validate(body_child)


def test_fault_detail_validates_and_zeep_raises_it(binding: Any) -> None:
    fault = etree.Element(etree.QName(SOAP_ENV, "Fault"))
    append_value(fault, "faultcode", "soap:" + operations.FAULT_BATCH_TOO_LARGE)
    append_value(fault, "faultstring", "at most 500 keys per call")
    detail = etree.SubElement(etree.SubElement(fault, "detail"), etree.QName(NAMESPACE, "CisFault"))
    cis_fault = {
        "code": operations.FAULT_BATCH_TOO_LARGE,
        "object": "meterNumbers",
        "reason": "at most 500 keys per call",
    }
    for tag, text in cis_fault.items():
        append_value(detail, tag, text)
    assert request_schema().validate(detail), request_schema().error_log
    operation = binding.get("GetMetersByMeterNumbers")
    with pytest.raises(zeep.exceptions.Fault) as raised:
        binding.process_error(envelope(fault), operation)
    assert raised.value.code == "soap:Client.BatchTooLarge"
    assert raised.value.detail.find(f"{{{NAMESPACE}}}CisFault/object").text == "meterNumbers"
