"""SOAP 1.1 envelopes of the CIS simulator: safe parsing, validation, answers and faults.

Requests are untrusted: they are read with ``soap11.parse_untrusted``, which refuses
any DOCTYPE (external entities and entity expansion are never attempted).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from lxml import etree

from adapters.cis_soap import operations
from adapters.cis_soap.soap11 import (
    BODY,
    CIS_FAULT,
    CIS_HEADER,
    ENVELOPE,
    FAULT,
    HEADER,
    SOAP_NAMESPACE,
    DoctypeRefused,
    parse_untrusted,
)
from adapters.cis_soap.xmlmap import NAMESPACE

_NSMAP = {"soap": SOAP_NAMESPACE, "cis": NAMESPACE}
_KNOWN_OPERATIONS = frozenset(operations.ALL_OPERATIONS)


class SoapFault(Exception):
    """A request the simulator answers with a SOAP Fault (``code`` as in ``operations``)."""

    def __init__(self, code: str, reason: str, subject: str | None = None) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.subject = subject


def invalid_request(reason: str) -> SoapFault:
    return SoapFault(operations.FAULT_INVALID_REQUEST, reason)


@dataclass(frozen=True, slots=True)
class SoapRequest:
    """A parsed request: its ``CisHeader`` (if any) and its operation element."""

    header: etree._Element | None
    operation: etree._Element
    name: str

    @property
    def message_id(self) -> str | None:
        if self.header is None:
            return None
        return self.header.findtext("messageId")


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def parse_envelope(body: bytes) -> SoapRequest:
    """The request in ``body``; raises ``SoapFault`` (Client.InvalidRequest) when it is not one."""
    try:
        root = parse_untrusted(body)
    except etree.XMLSyntaxError as error:
        raise invalid_request(f"malformed XML: {error.msg}") from None
    except DoctypeRefused as error:
        raise invalid_request(str(error)) from None
    if root.tag != ENVELOPE:
        raise invalid_request("not a SOAP 1.1 Envelope")
    header = root.find(HEADER)
    body_element = root.find(BODY)
    if body_element is None:
        raise invalid_request("the Envelope has no Body")
    children = _elements(body_element)
    if len(children) != 1:
        raise invalid_request("the Body must hold exactly one operation element")
    (operation,) = children
    qname = etree.QName(operation)
    if qname.namespace != NAMESPACE or qname.localname not in _KNOWN_OPERATIONS:
        raise invalid_request(f"unknown operation {qname.text}")
    cis_header = None if header is None else header.find(CIS_HEADER)
    return SoapRequest(cis_header, operation, qname.localname)


def authenticate(request: SoapRequest, user_id: str, password: str) -> None:
    header = request.header
    if header is None:
        raise SoapFault(operations.FAULT_AUTHENTICATION, "the CisHeader is missing")
    given_user = (header.findtext("userId") or "").encode()
    given_password = (header.findtext("password") or "").encode()
    # Both compared, in constant time, so timing tells nothing about which one was wrong.
    user_ok = hmac.compare_digest(given_user, user_id.encode())
    password_ok = hmac.compare_digest(given_password, password.encode())
    if not (user_ok and password_ok):
        raise SoapFault(operations.FAULT_AUTHENTICATION, "unknown userId or wrong password")


def validate(request: SoapRequest, schema: etree.XMLSchema) -> None:
    """Check the header and the operation element against the contract's XSD."""
    for element in (request.header, request.operation):
        if element is None:
            continue
        try:
            schema.assertValid(element)
        except etree.DocumentInvalid as error:
            raise invalid_request(str(error)) from None


def response_envelope(operation: str) -> tuple[etree._Element, etree._Element]:
    """A new answer Envelope and its empty ``cis:<operation>Response`` element to fill."""
    envelope = etree.Element(ENVELOPE, nsmap=_NSMAP)
    body = etree.SubElement(envelope, BODY)
    return envelope, etree.SubElement(body, f"{{{NAMESPACE}}}{operation}Response")


def fault_envelope(fault: SoapFault) -> etree._Element:
    envelope = etree.Element(ENVELOPE, nsmap=_NSMAP)
    element = etree.SubElement(etree.SubElement(envelope, BODY), FAULT)
    # Fault children are unqualified, per SOAP 1.1.
    etree.SubElement(element, "faultcode").text = f"soap:{fault.code}"
    etree.SubElement(element, "faultstring").text = fault.reason
    detail = etree.SubElement(etree.SubElement(element, "detail"), CIS_FAULT)
    etree.SubElement(detail, "code").text = fault.code
    if fault.subject is not None:
        etree.SubElement(detail, "object").text = fault.subject
    etree.SubElement(detail, "reason").text = fault.reason
    return envelope


def serialize(envelope: etree._Element) -> bytes:
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
