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


def _parse_datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"instant without offset: {text!r}")
    return value


def _parse_decimal(text: str) -> Decimal:
    """An xs:decimal: sign, digits and one point only. ``Decimal()`` alone would take NaN,
    Infinity, exponents, underscores, spaces and non-ASCII digits."""
    if text.strip("0123456789.+-"):  # cheaper than a regular expression; Decimal does the rest
        raise ValueError(f"not a plain decimal: {text!r}")
    return Decimal(text)


def _parse_integer(text: str) -> int:
    """An xs:int or xs:long: sign and digits only (``int()`` also takes spaces and ``_``)."""
    if text.strip("0123456789+-"):
        raise ValueError(f"not a plain integer: {text!r}")
    return int(text)


# Text converters; ``None`` means the text itself. Enum and boolean texts are looked up
# (a KeyError is a text outside the type); see ``_converted`` for how errors read.
_TextConverter = Callable[[str], object] | None
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_SCALAR_CONVERTERS: dict[object, _TextConverter] = {
    str: None,
    int: _parse_integer,
    bool: _BOOLEANS.__getitem__,
    Decimal: _parse_decimal,
    date: date.fromisoformat,
    datetime: _parse_datetime,
}
_CONVERSION_ERRORS = (KeyError, ValueError, ArithmeticError)  # ArithmeticError: bad decimals

# Records and tuples are read from their element (their children), scalars from its text.
_ElementParser = Callable[[etree._Element], object]


def _without_none(annotation: object) -> object:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return inner
    return annotation


def _is_record(annotation: object) -> bool:
    return isinstance(annotation, type) and dataclasses.is_dataclass(annotation)


def _text_converter(annotation: object) -> _TextConverter:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return {member.value: member for member in annotation}.__getitem__
    return _SCALAR_CONVERTERS[annotation]


def _converted(convert: _TextConverter, text: str, where: str) -> object:
    """``text`` converted, or a ValueError naming ``where`` it was found."""
    if convert is None:
        return text
    try:
        return convert(text)
    except _CONVERSION_ERRORS:
        raise ValueError(f"not a valid value in {where}: {text!r}") from None


def _element_parser(annotation: object, tag: str) -> _ElementParser:
    if typing.get_origin(annotation) is not tuple:
        return record_parser(typing.cast(type, annotation)).parse
    item = typing.get_args(annotation)[0]
    if _is_record(item):
        parse_item = record_parser(item).parse
        return lambda element: tuple([parse_item(child) for child in element])
    convert, where = _text_converter(item), f"{tag}/{item_name(tag)}"
    if convert is None:
        return lambda element: tuple([child.text or "" for child in element])
    return lambda element: tuple(
        [_converted(convert, child.text or "", where) for child in element]
    )


class RecordParser(Generic[Record]):
    """Reads one record type from its element; built once per type (see ``record_parser``).

    ``parse`` is generated for the type (``_compile_parse``): the adapter's hot path, it
    expects children in XSD order, as the contract writes them, and hands any other
    element to ``parse_any_order``. That one reads children in any order, ignores unknown
    ones, fills absent fields with the record's defaults and raises ValueError for bad
    values ("not a valid value in ...") and missing required fields ("incomplete ...").
    """

    def __init__(self, record_type: type[Record]) -> None:
        self.record_type = record_type
        hints = typing.get_type_hints(record_type)
        self.fields: list[_Field] = []
        self.scalar_fields: dict[str, tuple[str, _TextConverter]] = {}
        self.element_fields: dict[str, tuple[str, _ElementParser]] = {}
        for field in dataclasses.fields(record_type):  # type: ignore[arg-type]
            tag, annotation = element_name(field.name), _without_none(hints[field.name])
            if _is_record(annotation) or typing.get_origin(annotation) is tuple:
                read = _element_parser(annotation, tag)
                self.element_fields[tag] = (field.name, read)
                self.fields.append(_Field(field, tag, f"read_{len(self.fields)}(child)", read))
            else:
                convert = _text_converter(annotation)
                self.scalar_fields[tag] = (field.name, convert)
                text = "child.text or ''"
                source = text if convert is None else f"read_{len(self.fields)}({text})"
                self.fields.append(_Field(field, tag, source, convert))
        self.parse: Callable[[etree._Element], Record] = _compile_parse(self)

    def parse_any_order(self, element: etree._Element) -> Record:
        values: dict[str, object] = {}
        name = self.record_type.__name__
        for child in element:
            tag = child.tag
            scalar = self.scalar_fields.get(tag)
            if scalar is not None:
                values[scalar[0]] = _converted(scalar[1], child.text or "", f"{name} {tag}")
            elif tag in self.element_fields:
                field_name, read = self.element_fields[tag]
                values[field_name] = read(child)
        try:
            return self.record_type(**values)
        except TypeError as error:
            raise ValueError(f"incomplete {name}: {error}") from None


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    """One field as generated code reads it: ``source`` is the expression of its value
    from ``child`` (its element), calling ``read`` (bound as ``read_<index>``) if any."""

    field: dataclasses.Field[object]
    tag: str
    source: str
    read: _TextConverter | _ElementParser


class _NoMoreChildren:
    """Stands after the last child: its tag matches no field, so reading it needs no guard."""

    tag = None


def _compile_parse(parser: RecordParser[Record]) -> Callable[[etree._Element], Record]:
    """``parser.parse``: Python source specialized to the record type, compiled once.

    Like ``dataclasses`` generating ``__init__``: straight-line code, one block per field
    in XSD order, so a child costs one tag comparison. Values go straight into the new
    record's slots (its frozen ``__init__`` would set them one ``object.__setattr__`` at a
    time). Any surprise (order, an unknown or missing element, a bad value) re-reads the
    element with ``parser.parse_any_order``, which knows what to accept and what to report.
    """
    record_type = parser.record_type
    if hasattr(record_type, "__post_init__"):
        raise TypeError(f"{record_type.__name__}: generated parsers never call __post_init__")
    namespace: dict[str, object] = {
        "Record": record_type,
        "new": object.__new__,
        "any_order": parser.parse_any_order,
        "END": _NoMoreChildren(),
        "conversion_errors": _CONVERSION_ERRORS,
    }
    lines = [
        "def parse(element):",
        "    children = element[:]",
        "    children.append(END)",
        "    position = 0",
        "    child = children[0]",
        "    record = new(Record)",
        "    try:",
    ]
    advance = ["position += 1", "child = children[position]"]
    for index, field in enumerate(parser.fields):
        slot = vars(record_type).get(field.field.name)
        if not isinstance(slot, types.MemberDescriptorType):
            raise TypeError(f"{record_type.__name__}: generated parsers need slotted records")
        namespace[f"set_{index}"], namespace[f"read_{index}"] = slot.__set__, field.read
        if field.field.default is dataclasses.MISSING:  # required
            block = [f"if child.tag != {field.tag!r}:", "    return any_order(element)"]
            block += [f"set_{index}(record, {field.source})", *advance]
        else:  # optional: absent means the field's default
            namespace[f"default_{index}"] = field.field.default
            block = [f"if child.tag == {field.tag!r}:", f"    set_{index}(record, {field.source})"]
            block += [f"    {line}" for line in advance]
            block += ["else:", f"    set_{index}(record, default_{index})"]
        lines += [f"        {line}" for line in block]
    lines += [
        "    except conversion_errors:",
        "        return any_order(element)",
        "    if child is not END:",
        "        return any_order(element)",
        "    return record",
    ]
    # Built from the record type's own fields, never from input.
    exec("\n".join(lines), namespace)  # noqa: S102
    return typing.cast(Callable[[etree._Element], Record], namespace["parse"])


@cache
def record_parser(record_type: type[Record]) -> RecordParser[Record]:
    return RecordParser(record_type)
