"""SOAP envelopes of the adapter: requests built by zeep from the WSDL, answers read by lxml.

zeep only builds requests (``create_message``), which keeps its transport, its thread-local
settings and its slow object building out of the way; answers are parsed with the locked-down
parser both ends share (``soap11.parse_untrusted``) straight into records with ``xmlmap``.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

import zeep
from lxml import etree

from adapters.cis_soap import operations, soap11
from adapters.cis_soap.contract_files import WSDL_PATH
from adapters.cis_soap.operations import BatchRead, BatchWrite
from adapters.cis_soap.xmlmap import NAMESPACE, element_name, item_name, record_parser, text_of
from adapters.errors import BatchTooLarge, CisError, CisFault, CisRefused, CisUnavailable

_ZEEP_SETTINGS = zeep.Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What every request's ``cis:CisHeader`` carries besides its fresh ``messageId``."""

    user_id: str
    password: str = dataclasses.field(repr=False)
    company: str
    app_name: str


def load_client(wsdl_path: Path = WSDL_PATH) -> zeep.Client:
    """A zeep client over the local WSDL (synchronous: load it once, at start-up)."""
    return zeep.Client(str(wsdl_path), settings=_ZEEP_SETTINGS)


def wsdl_operations(client: zeep.Client) -> dict[str, Any]:
    """zeep's operation objects by name, over every binding of the client's WSDL."""
    # zeep has no public per-binding operation listing; ``_operations`` is its own table.
    return {
        name: operation
        for binding in client.wsdl.bindings.values()
        for name, operation in binding._operations.items()
    }


class RequestBuilder:
    """Serialized request envelopes and their SOAPAction, as the WSDL defines them."""

    def __init__(self, client: zeep.Client, credentials: Credentials) -> None:
        self._client = client
        self._service = client.service
        self._credentials = credentials
        self._actions: dict[str, str] = {
            name: operation.soapaction for name, operation in wsdl_operations(client).items()
        }

    def soap_action(self, operation: str) -> str:
        return self._actions[operation]

    def build(self, operation: str, parameters: Mapping[str, object]) -> bytes:
        """The envelope of one call, with a new ``messageId``."""
        credentials = self._credentials
        header = {
            "userId": credentials.user_id,
            "password": credentials.password,
            "company": credentials.company,
            "appName": credentials.app_name,
            "messageId": str(uuid.uuid4()),
        }
        values = {name: zeep_value(value) for name, value in parameters.items()}
        envelope = self._client.create_message(
            self._service, operation, _soapheaders={"CisHeader": header}, **values
        )
        return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def zeep_value(value: object) -> object:
    """A request value as zeep takes it: records as dicts of element names, tuples as
    wrappers of items, scalars as the contract's text (``xmlmap.text_of``)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            element_name(field.name): zeep_value(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if getattr(value, field.name) is not None
        }
    if isinstance(value, Mapping):  # an already wrapped list, e.g. {"accountNumber": [...]}
        return {name: zeep_value(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [zeep_value(item) for item in value]
    return text_of(value)


def wrapped(wrapper: str, items: list[Any]) -> dict[str, list[Any]]:
    """The value of a wrapper element (``accountNumbers``) holding ``items``."""
    return {item_name(wrapper): items}


def response_element(content: bytes, status_code: int, operation: str) -> etree._Element:
    """The ``cis:<operation>Response`` element of an answer, or the error the answer means."""
    try:
        root = soap11.parse_untrusted(content)
    except etree.XMLSyntaxError:
        if status_code >= 500:
            raise CisUnavailable(f"the CIS answered HTTP {status_code} without SOAP") from None
        raise CisError(f"the CIS answered HTTP {status_code} with malformed XML") from None
    except soap11.DoctypeRefused:
        raise CisError(
            "the CIS answer has a DOCTYPE; refused (entities are never expanded)"
        ) from None
    body = root.find(soap11.BODY) if root.tag == soap11.ENVELOPE else None
    answer: etree._Element | None = None
    if body is not None:
        answer = next(body.iterchildren("{*}*"), None)
    if answer is not None and answer.tag == soap11.FAULT:
        raise fault_error(answer)
    if status_code != 200:
        kind = CisUnavailable if status_code >= 500 else CisError
        raise kind(f"the CIS answered HTTP {status_code} without a SOAP Fault")
    expected = f"{{{NAMESPACE}}}{operation}Response"
    if answer is None or answer.tag != expected:
        raise CisError(f"the CIS did not answer {operation} with {operation}Response")
    return answer


def fault_error(fault: etree._Element) -> CisError:
    """The typed error of a SOAP Fault: transient for ``Server.*`` codes."""
    detail = fault.find(f"detail/{soap11.CIS_FAULT}")
    faultcode = fault.findtext("faultcode") or ""
    code = faultcode.rpartition(":")[2] or "Server"
    reason = fault.findtext("faultstring") or ""
    subject = None
    if detail is not None:
        code = detail.findtext("code") or code
        reason = detail.findtext("reason") or reason
        subject = detail.findtext("object")
    if code.startswith("Server"):
        return CisUnavailable(f"the CIS failed: {code}: {reason}")
    if code == operations.FAULT_BATCH_TOO_LARGE:
        return BatchTooLarge(code, reason, subject)
    if code in (operations.FAULT_INVALID_REQUEST, operations.FAULT_UNKNOWN_OBJECT):
        return CisRefused(code, reason, subject)
    return CisFault(code, reason, subject)


def read_rows(operation: BatchRead, answer: etree._Element) -> dict[str, Any]:
    """Records per key (a tuple per key for grouped reads); ``missingKeys`` is ignored."""
    parse = record_parser(operation.row_type).parse
    if not operation.grouped:
        key_of = attrgetter(operation.key_field)
        return {key_of(row): row for row in map(parse, answer.iterchildren(operation.row))}
    grouped: dict[str, Any] = {}
    for group in answer.iterchildren("group"):
        grouped[group.findtext("key") or ""] = tuple(map(parse, group.iterchildren(operation.row)))
    return grouped


# The field each write's answer row repeats from its request item: it proves the order.
def read_answers(operation: BatchWrite, answer: etree._Element, items: Sequence[Any]) -> list[Any]:
    """The answer rows of ``items``: one per item, in request order, or a ValueError."""
    parse = record_parser(operation.row_type).parse
    rows = list(map(parse, answer.iterchildren(operation.row)))
    if len(rows) != len(items):
        raise ValueError(f"{len(rows)} answer rows for {len(items)} request items")
    echoed = attrgetter(operation.echoed_field)
    if list(map(echoed, rows)) != list(map(echoed, items)):
        raise ValueError("answer rows not in request order")
    return rows


def parse_failure(operation: str, error: Exception) -> CisError:
    return CisError(f"the CIS answered {operation} with data that breaks the contract: {error}")
