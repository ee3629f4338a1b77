"""zeep's own parsing of CIS answers, converted to records: the reference for our lxml path.

The adapter parses answers with lxml straight into records (``envelope.read_rows``); this
module gets the same records through zeep's binding machinery (``process_reply``: XSD-driven
object building), converted generically by the records' fields and ``xmlmap``'s names. Tests
prove both give exactly the same records, and ``bench/cis_parse.py`` compares their speed.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import zeep
from zeep.loader import parse_xml

from adapters.cis_soap.envelope import load_client, wsdl_operations
from adapters.cis_soap.operations import BATCH_READS, BATCH_WRITES
from adapters.cis_soap.xmlmap import element_name, item_name


class ZeepParser:
    """Answers of the WSDL's operations, parsed by zeep and converted to records."""

    def __init__(self, client: zeep.Client | None = None) -> None:
        self._client = client if client is not None else load_client()
        self._operations = wsdl_operations(self._client)

    def reply(self, operation: str, content: bytes) -> Any:
        """zeep's object for the answer envelope ``content`` (a Fault raises)."""
        client = self._client
        # zeep annotates ``content`` as str, but parses bytes (and should: the XML declares
        # its own encoding).
        document = parse_xml(content, client.transport, settings=client.settings)  # type: ignore[arg-type]
        return self._operations[operation].process_reply(document)

    def read_rows(self, operation: str, content: bytes) -> dict[str, Any]:
        """Like ``envelope.read_rows``: records per key, a tuple per key when grouped."""
        read = BATCH_READS[operation]
        reply = self.reply(operation, content)
        if read.grouped:
            return {
                group.key: tuple(to_record(read.row_type, row) for row in getattr(group, read.row))
                for group in reply.group
            }
        rows = (to_record(read.row_type, row) for row in getattr(reply, read.row))
        return {getattr(row, read.key_field): row for row in rows}

    def read_answers(self, operation: str, content: bytes) -> list[Any]:
        """Like ``envelope.read_answers``: one record per answer row."""
        write = BATCH_WRITES[operation]
        reply = self.reply(operation, content)
        # zeep unwraps a response element that has a single child (here: the rows).
        rows = reply if isinstance(reply, list) else getattr(reply, write.row)
        return [to_record(write.row_type, row) for row in rows]


def to_record(record_type: type, value: Any) -> Any:
    """The record of type ``record_type`` held by zeep's object ``value``."""
    values = {}
    for name, tag, convert in _conversions(record_type):
        raw = value[tag]
        if raw is not None:
            values[name] = raw if convert is None else convert(raw)
    return record_type(**values)


_Conversion = Callable[[Any], Any] | None  # None: zeep's value is the record's value


@functools.cache
def _conversions(record_type: type) -> tuple[tuple[str, str, _Conversion], ...]:
    hints = typing.get_type_hints(record_type)
    return tuple(
        (
            field.name,
            element_name(field.name),
            _conversion(hints[field.name], element_name(field.name)),
        )
        for field in dataclasses.fields(record_type)
    )


def _conversion(annotation: Any, tag: str) -> _Conversion:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        (annotation,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    if typing.get_origin(annotation) is tuple:
        item_tag = item_name(tag)
        convert = _conversion(typing.get_args(annotation)[0], item_tag) or (lambda item: item)
        return lambda raw: tuple([convert(item) for item in raw[item_tag]])
    if dataclasses.is_dataclass(annotation):
        return functools.partial(to_record, typing.cast(type, annotation))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    if annotation is datetime:
        return _plain_offset
    return None


def _plain_offset(value: datetime) -> datetime:
    """zeep's offsets are isodate objects; the records' are plain ``timezone``s."""
    offset = value.utcoffset()
    return value if offset is None else value.replace(tzinfo=timezone(offset))
