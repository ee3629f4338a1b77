"""``xmlmap``'s record parsers: every record type read back as written, the generated fast
path taken for answers in XSD order, and everything else read or refused by the tolerant one."""

from __future__ import annotations

import dataclasses
import enum
import random
import types
import typing
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from adapters import records
from adapters.cis_soap.xmlmap import RecordParser, append_record, record_parser

RECORD_TYPES = [
    value
    for value in vars(records).values()
    if isinstance(value, type) and dataclasses.is_dataclass(value)
]
CENTRAL = timezone(timedelta(hours=-6))


def sample(record_type: type, *, full: bool) -> Any:
    """A record with every field set (``full``) or only the required ones."""
    hints = typing.get_type_hints(record_type)
    values = {}
    for field in dataclasses.fields(record_type):
        optional = field.default is not dataclasses.MISSING
        if optional and not full:
            continue
        values[field.name] = sample_value(hints[field.name], field.name, full=full)
    return record_type(**values)


def sample_value(annotation: Any, name: str, *, full: bool) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        (annotation,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if typing.get_origin(annotation) is tuple:
        item = typing.get_args(annotation)[0]
        return tuple(sample_value(item, f"{name}-{n}", full=full) for n in range(3))
    if dataclasses.is_dataclass(annotation):
        return sample(typing.cast(type, annotation), full=full)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return list(annotation)[-1]
    return {
        str: f"{name} & <text>",
        int: 42,
        bool: True,
        Decimal: Decimal("-1234.50"),
        date: date(2024, 3, 10),
        datetime: datetime(2024, 3, 10, 1, 59, 30, tzinfo=CENTRAL),
    }[annotation]


def element_of(record: Any) -> etree._Element:
    return append_record(etree.Element("answer"), "row", record)


class ParserSpy(RecordParser[Any]):
    """A record parser that counts the elements its fast path hands on."""

    def __init__(self, record_type: type) -> None:
        self.handed_on = 0
        super().__init__(record_type)

    def parse_any_order(self, element: etree._Element) -> Any:
        self.handed_on += 1
        return super().parse_any_order(element)


@pytest.mark.parametrize("full", [True, False], ids=["all fields", "required only"])
@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda t: t.__name__)
def test_every_record_type_reads_back_as_written_on_the_fast_path(
    record_type: type, full: bool
) -> None:
    record = sample(record_type, full=full)
    spy = ParserSpy(record_type)
    parsed = spy.parse(element_of(record))
    assert parsed == record
    assert repr(parsed) == repr(record)
    assert hash(parsed) == hash(record)
    assert spy.handed_on == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.__setattr__(dataclasses.fields(record_type)[0].name, None)


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda t: t.__name__)
def test_children_in_any_order_read_the_same(record_type: type) -> None:
    record = sample(record_type, full=True)
    element = element_of(record)
    children = list(element)
    random.Random(7).shuffle(children)
    element[:] = children[::-1] if children == list(element) else children
    spy = ParserSpy(record_type)
    assert spy.parse(element) == record
    assert spy.handed_on == 1


def test_empty_tuples_and_empty_strings_read_back() -> None:
    account = dataclasses.replace(
        sample(records.Account, full=True), billing_cycle="", service_location_ids=()
    )
    element = element_of(account)
    assert etree.tostring(element.find("serviceLocationIDs")) == b"<serviceLocationIDs/>"
    spy = ParserSpy(records.Account)
    assert spy.parse(element) == account
    assert spy.handed_on == 0


def test_an_absent_wrapper_is_an_empty_tuple() -> None:
    account = sample(records.Account, full=True)
    element = element_of(account)
    element.remove(element.find("serviceLocationIDs"))
    parsed = record_parser(records.Account).parse(element)
    assert parsed == dataclasses.replace(account, service_location_ids=())


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_unknown_elements_are_ignored(where: str) -> None:
    account = sample(records.Account, full=False)
    element = element_of(account)
    position = {"first": 0, "middle": 3, "last": len(element)}[where]
    element.insert(position, etree.Element("addedInV2"))
    element[position].text = "whatever"
    assert record_parser(records.Account).parse(element) == account


@pytest.mark.parametrize(
    ("record_type", "path", "text"),
    [
        (records.Account, "accountStatus", "Bogus"),
        (records.Account, "accountStatus", "active"),
        (records.Account, "budgetBill", "yes"),
        (records.Account, "paymentDueDate", "2024-13-01"),
        (records.Account, "lastBillAmount", "12,50"),
        (records.Account, "lastBillAmount", ""),
        (records.Account, "balance/total", "ten"),
        (records.Payment, "postedAt", "2024-03-10T10:00:00"),
        (records.OutageEvent, "customersAffected", "many"),
        (records.Bill, "charges/charge/amount", "1.2.3"),
        (records.OutageEvent, "area/polygon/point/latitude", "north"),
    ],
)
def test_values_outside_their_type_are_value_errors(
    record_type: type, path: str, text: str
) -> None:
    element = element_of(sample(record_type, full=True))
    element.find(path).text = text
    with pytest.raises(ValueError, match="not a valid value in") as raised:
        record_parser(record_type).parse(element)
    assert type(raised.value) is ValueError
    assert repr(text) in str(raised.value)


@pytest.mark.parametrize(
    ("record_type", "path", "incomplete"),
    [
        (records.Account, "accountNumber", "Account"),
        (records.Account, "isPrePay", "Account"),
        (records.Account, "balance", "Account"),
        (records.Account, "balance/past90", "Balance"),
        (records.Bill, "charges/charge/description", "ChargeLine"),
        (records.OutageFeed, "latestSequence", "OutageFeed"),
    ],
)
def test_a_missing_required_element_is_a_value_error(
    record_type: type, path: str, incomplete: str
) -> None:
    element = element_of(sample(record_type, full=True))
    missing = element.find(path)
    missing.getparent().remove(missing)
    with pytest.raises(ValueError, match=f"incomplete {incomplete}"):
        record_parser(record_type).parse(element)


def test_an_element_without_children_is_incomplete() -> None:
    with pytest.raises(ValueError, match="incomplete Balance"):
        record_parser(records.Balance).parse(etree.Element("balance"))


def test_record_types_the_generator_cannot_fill_are_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class WithoutSlots:
        name: str

    @dataclasses.dataclass(frozen=True, slots=True)
    class Validated:
        name: str

        def __post_init__(self) -> None:
            raise AssertionError("unreachable: refused before parsing")

    with pytest.raises(TypeError, match="slotted"):
        RecordParser(WithoutSlots)
    with pytest.raises(TypeError, match="__post_init__"):
        RecordParser(Validated)


NOT_PLAIN_NUMBERS = ["NaN", "-Infinity", "sNaN", "1e3", "1E-2", "1_000", " 12.5", "12.5\n", "١٢"]


@pytest.mark.parametrize("text", NOT_PLAIN_NUMBERS)
@pytest.mark.parametrize(
    ("record_type", "path"),
    [
        (records.Account, "balance/total"),  # a required decimal, on the fast path
        (records.Account, "lastBillAmount"),  # an optional one
        (records.Bill, "charges/charge/amount"),  # inside a tuple of records
        (records.OutageEvent, "customersAffected"),  # an xs:int
    ],
)
def test_numbers_the_xsd_forbids_are_value_errors(record_type: type, path: str, text: str) -> None:
    element = element_of(sample(record_type, full=True))
    element.find(path).text = text
    with pytest.raises(ValueError, match="not a valid value in"):
        record_parser(record_type).parse(element)


@pytest.mark.parametrize(
    ("text", "value"),
    [("+12.50", "12.50"), ("-0.5", "-0.5"), (".5", "0.5"), ("5.", "5"), ("007", "7")],
)
def test_every_plain_xsd_decimal_is_read(text: str, value: str) -> None:
    element = element_of(sample(records.Account, full=True))
    element.find("lastBillAmount").text = text
    parsed = record_parser(records.Account).parse(element)
    assert parsed.last_bill_amount == Decimal(value)
