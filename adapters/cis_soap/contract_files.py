"""Where the CIS contract files live, and the compiled schema both sides validate with.

``wsdl/cis.wsdl`` imports ``wsdl/cis.xsd`` by a relative path, so the folder is
self-contained: zeep loads it offline, and the simulator serves both files (pointing them at
its own address).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

CONTRACT_DIR = Path(__file__).resolve().parent / "wsdl"
WSDL_PATH = CONTRACT_DIR / "cis.wsdl"
XSD_PATH = CONTRACT_DIR / "cis.xsd"


@cache
def request_schema() -> etree.XMLSchema:
    """The contract schema: it validates request and response wrappers, CisHeader and CisFault.

    Validate the body element itself (``schema.validate(body[0])``): lxml treats the
    element as the root of the document it checks.
    """
    # The file is ours, but parse it as strictly as untrusted input all the same.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(XSD_PATH), parser))
