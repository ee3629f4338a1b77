"""SOAP 1.1 names, and the one way both ends of the wire parse XML they did not write.

The parser resolves no entities, loads no DTD, reaches no network and refuses huge
trees; a document with any DOCTYPE at all is refused after parsing, so XXE and
entity-expansion ("billion laughs") payloads never get a chance.
"""

from __future__ import annotations

from lxml import etree

from adapters.cis_soap.xmlmap import NAMESPACE

SOAP_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/"
ENVELOPE = f"{{{SOAP_NAMESPACE}}}Envelope"
HEADER = f"{{{SOAP_NAMESPACE}}}Header"
BODY = f"{{{SOAP_NAMESPACE}}}Body"
FAULT = f"{{{SOAP_NAMESPACE}}}Fault"
CIS_HEADER = f"{{{NAMESPACE}}}CisHeader"
CIS_FAULT = f"{{{NAMESPACE}}}CisFault"

# Not collect_ids=False: with libxml2 < 2.15 it makes lxml load a DOCTYPE's external
# subset in spite of load_dtd=False (tests/cis_soap/test_envelope.py shows it).
_UNTRUSTED = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


class DoctypeRefused(ValueError):
    """The document declared a DOCTYPE, which neither end ever accepts."""


def parse_untrusted(content: bytes) -> etree._Element:
    """The root element of ``content``; raises ``etree.XMLSyntaxError`` or ``DoctypeRefused``."""
    root = etree.fromstring(content, _UNTRUSTED)
    if root.getroottree().docinfo.internalDTD is not None:
        raise DoctypeRefused("DOCTYPE declarations are not accepted")
    return root
