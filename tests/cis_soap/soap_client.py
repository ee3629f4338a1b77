"""Raw SOAP 1.1 envelopes posted to the simulator, and its answers read back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from lxml import etree

from adapters.cis_soap import operations
from adapters.cis_soap.contract_files import request_schema
from adapters.cis_soap.xmlmap import NAMESPACE, append_record, item_name
from tests.simulator_process import HEADER

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


@dataclass(frozen=True)
class Fault:
    code: str
    reason: str
    subject: str | None
    detail: etree._Element


class SoapClient:
    """Posts raw SOAP 1.1 envelopes to the simulator and reads its answers."""

    def __init__(self, soap_url: str) -> None:
        self.soap_url = soap_url
        self.http = httpx.Client(timeout=10)

    @staticmethod
    def operation(name: str, *children: etree._Element) -> etree._Element:
        element = etree.Element(f"{{{NAMESPACE}}}{name}", nsmap={"cis": NAMESPACE})
        element.extend(children)
        return element

    @staticmethod
    def leaf(tag: str, text: str) -> etree._Element:
        element = etree.Element(tag)
        element.text = text
        return element

    def read_request(self, name: str, keys: Sequence[str], **params: str) -> etree._Element:
        """A batch read of ``keys``; ``params`` by element name (``from_`` for ``from``)."""
        read = operations.BATCH_READS[name]
        wrapper = etree.Element(read.keys)
        for key in keys:
            etree.SubElement(wrapper, item_name(read.keys)).text = key
        values = {tag.rstrip("_"): value for tag, value in params.items()}
        return self.operation(name, wrapper, *(self.leaf(tag, values[tag]) for tag in read.params))

    def write_request(self, name: str, items: Sequence[Any]) -> etree._Element:
        write = operations.BATCH_WRITES[name]
        wrapper = etree.Element(write.items)
        for item in items:
            append_record(wrapper, item_name(write.items), item)
        return self.operation(name, wrapper)

    @staticmethod
    def envelope(operation: etree._Element, header: Mapping[str, str] | None = HEADER) -> bytes:
        envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
        if header is not None:
            cis_header = etree.SubElement(
                etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header"),
                f"{{{NAMESPACE}}}CisHeader",
                nsmap={"cis": NAMESPACE},
            )
            for tag, text in header.items():
                etree.SubElement(cis_header, tag).text = text
        etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(operation)
        return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")

    def post(self, body: bytes, timeout: float | None = 10) -> httpx.Response:
        return self.http.post(
            self.soap_url,
            content=body,
            timeout=timeout,
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )

    def call(self, operation: etree._Element) -> etree._Element:
        """The response element of a call that must succeed, checked against the XSD."""
        response = self.post(self.envelope(operation))
        assert response.status_code == 200, response.text
        answer = body_element(response)
        request_schema().assertValid(answer)
        return answer

    def fault(self, body: bytes) -> Fault:
        return self.fault_of(self.post(body))

    @staticmethod
    def fault_of(response: httpx.Response) -> Fault:
        """The SOAP 1.1 Fault of ``response``: HTTP 500, its CisFault detail valid per the XSD."""
        assert response.status_code == 500, response.text
        fault = body_element(response)
        assert fault.tag == f"{{{SOAP_ENV}}}Fault"
        (detail,) = fault.iterfind("detail/*")
        request_schema().assertValid(detail)
        code = detail.findtext("code") or ""
        assert fault.findtext("faultcode") == f"soap:{code}"
        assert fault.findtext("faultstring") == detail.findtext("reason")
        return Fault(code, detail.findtext("reason") or "", detail.findtext("object"), detail)


def body_element(response: httpx.Response) -> etree._Element:
    assert response.headers["content-type"].startswith("text/xml")
    envelope = etree.fromstring(response.content)
    (element,) = envelope.iterfind(f"{{{SOAP_ENV}}}Body/*")
    return element


def texts(element: etree._Element, path: str) -> list[str]:
    """The texts of the elements at ``path`` (an ElementPath) under ``element``."""
    return [found.text or "" for found in element.iterfind(path)]
