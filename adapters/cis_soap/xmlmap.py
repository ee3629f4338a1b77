"""Type-driven mapping between domain records and the CIS contract's XML.

One rule set, used by the simulator to write responses and by the adapter to read
them (the XSD in ``wsdl/`` is the contract both are tested against):

- a field's element is its name in lowerCamelCase, with the segments ``id``/``ids``
  and ``kwh`` spelled ``ID``/``IDs`` and ``kWh`` (``service_location_ids`` ->
  ``serviceLocationIDs``, ``kwh_billed`` -> ``kWhBilled``, ``past_30`` -> ``past30``);
- a tuple field is a wrapper element holding one element per item, named by
  ``item_name`` (``meterNumbers/meterNumber``, ``charges/charge``, ``polygon/point``);
- ``None`` is an absent element; booleans are ``true``/``false``; enums are their
  values; money and other decimals are plain decimal strings; instants carry an offset.

Local elements are unqualified (``elementFormDefault="unqualified"``).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Generic, TypeVar

from lxml import etree

NAMESPACE = "urn:coop-gateway:cis:v1"

_SPECIAL_SEGMENTS = {"id": "ID", "ids": "IDs", "kwh": "kWh"}
_IRREGULAR_ITEMS = {"polygon": "point"}

Record = TypeVar("Record")


def element_name(field_name: str) -> str:
    first, *rest = field_name.split("_")
    head = "kWh" if first == "kwh" else first
    return head + "".join(_SPECIAL_SEGMENTS.get(part, part.capitalize()) for part in rest)


def item_name(wrapper: str) -> str:
    """The element name of one item inside a wrapper element."""
    if wrapper in _IRREGULAR_ITEMS:
        return _IRREGULAR_ITEMS[wrapper]
    if not wrapper.endswith("s"):
        raise ValueError(f"no item name for wrapper {wrapper!r}")
    return wrapper[:-1]


def text_of(value: object) -> str:
    """The XML text of a scalar value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def append_value(parent: etree._Element, tag: str, value: object) -> None:
    """Append ``value`` (record, tuple or scalar) to ``parent`` as element ``tag``."""
    if value is None:
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        append_record(parent, tag, value)
    elif isinstance(value, tuple):
        wrapper = etree.SubElement(parent, tag)
        for item in value:
            append_value(wrapper, item_name(tag), item)
    else:
        etree.SubElement(parent, tag).text = text_of(value)


def append_record(parent: etree._Element, tag: str, record: Any) -> etree._Element:
    element = etree.SubElement(parent, tag)
    for field in dataclasses.fields(record):
        append_value(element, element_name(field.name), getattr(record, field.name))
    return element


def _parse_bool(text: str) -> bool:
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError(f"not an xs:boolean: {text!r}")


def _parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"instant without offset: {text!r}")
    return value


_SCALAR_PARSERS: dict[object, Callable[[str], object]] = {
    str: str,
    int: int,
    bool: _parse_bool,
    Decimal: Decimal,
    date: date.fromisoformat,
    datetime: _parse_datetime,
}

# An element's parser takes the element itself (records and tuples read children).
_ElementParser = Callable[[etree._Element], object]


def _text_parser(parse_text: Callable[[str], object]) -> _ElementParser:
    def parse(element: etree._Element) -> object:
        return parse_text(element.text or "")

    return parse


def _element_parser(annotation: object, tag: str) -> _ElementParser:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _element_parser(inner, tag)
    if origin is tuple:
        item_parser = _element_parser(typing.get_args(annotation)[0], item_name(tag))
        return lambda element: tuple(item_parser(child) for child in element)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return record_parser(annotation).parse
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _text_parser(annotation)
    return _text_parser(_SCALAR_PARSERS[annotation])


class RecordParser(Generic[Record]):
    """Reads one record type from its element; built once per type (see ``record_parser``)."""

    def __init__(self, record_type: type[Record]) -> None:
        self.record_type = record_type
        hints = typing.get_type_hints(record_type)
        self.fields: dict[str, tuple[str, _ElementParser]] = {}
        self.defaults: dict[str, object] = {}
        for field in dataclasses.fields(record_type):  # type: ignore[arg-type]
            tag = element_name(field.name)
            self.fields[tag] = (field.name, _element_parser(hints[field.name], tag))
            if field.default is not dataclasses.MISSING:
                self.defaults[field.name] = field.default

    def parse(self, element: etree._Element) -> Record:
        values = dict(self.defaults)
        fields = self.fields
        for child in element:
            known = fields.get(child.tag)  # type: ignore[call-overload]
            if known is not None:
                name, parse = known
                values[name] = parse(child)
        try:
            return self.record_type(**values)
        except TypeError as error:
            raise ValueError(f"incomplete {self.record_type.__name__}: {error}") from None


@cache
def record_parser(record_type: type[Record]) -> RecordParser[Record]:
    return RecordParser(record_type)
