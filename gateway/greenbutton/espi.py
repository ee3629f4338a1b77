"""The Green Button feed: an Atom feed of NAESB ESPI resources, written entry by entry.

One account is one ``UsagePoint`` (electricity), its usage summed over its meters as
``Account.usage`` sums it. It has a ``MeterReading`` of energy delivered (flow direction
forward) and, for a net-metered account, one of energy received (reverse), each with its
``ReadingType`` and one ``IntervalBlock`` per slice of the period read (a calendar month).
The co-op's ``LocalTimeParameters`` and an ``ElectricPowerUsageSummary`` per bill whose
period overlaps the feed's come with it.

Values are watt-hours (uom 72, powerOfTenMultiplier 0), so kWh to three decimals, the CIS's
resolution, are exact integers; a finer kWh would be rounded half-even to the watt-hour.
Money is in hundred-thousandths of a US dollar (currency 840), as ESPI counts it. Readings
are valid (quality 0, the reading type's ``defaultQuality``) unless a ``ReadingQuality``
says otherwise: estimated readings are 8 (the CIS does not say how it estimated; ESPI has
no plain "estimated"), missing ones are 0 Wh marked 10 (questionable). Each entry's
``urn:uuid`` id is derived from the co-op, the account and the resource, and resources are
named by what they hold, not by their place in a download: an ``IntervalBlock`` by its
month (``.../IntervalBlock/202603``), a usage summary by its bill's id. So the same month
or bill has the same id in any download, whatever days it asks; the hrefs name the
resources the ESPI way (``RetailCustomer/{account}/UsagePoint/1/...``) for readers to link
entries by.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Final
from urllib.parse import quote

from lxml import etree

from adapters.records import Bill, ReadingQuality
from gateway.greenbutton.dst import LocalTimeParameters
from resolvers.usage import UsageRow

ATOM: Final = "http://www.w3.org/2005/Atom"
ESPI: Final = "http://naesb.org/espi"

WATT_HOURS = 72  # ESPI UnitSymbolKind
ENERGY = 12  # MeasurementKind
ELECTRICITY_SERVICE = 0  # ServiceKind
ELECTRICITY = 1  # CommodityKind
DELTA_DATA = 4  # AccumulationKind: each value is the energy of its own interval
NORMAL = 12  # DataQualifierKind
US_DOLLAR = 840  # ISO 4217
VALID = 0
QUALITY: Final = {
    ReadingQuality.ACTUAL: VALID,
    ReadingQuality.ESTIMATED: 8,  # estimated using reference day
    ReadingQuality.MISSING: 10,  # questionable
}
_HUNDRED_THOUSANDTHS = 100_000
# Each entry declares its namespaces as the default one. lxml's key for that is None, which
# lxml-stubs does not allow for.
_ATOM_DEFAULT: Final[Mapping[str, str]] = {None: ATOM}  # type: ignore[dict-item]
_ESPI_DEFAULT: Final[Mapping[str, str]] = {None: ESPI}  # type: ignore[dict-item]


class Flow(enum.Enum):
    """The two meter readings: (ESPI flowDirection, reading number)."""

    DELIVERED = (1, 1)  # forward: from the co-op to the member
    RECEIVED = (19, 2)  # reverse: from the member's generation back to the grid

    @property
    def direction(self) -> int:
        return self.value[0]

    @property
    def number(self) -> int:
        return self.value[1]

    def kwh(self, row: UsageRow) -> Decimal:
        return row.kwh_delivered if self is Flow.DELIVERED else row.kwh_received


def watt_hours(kwh: Decimal) -> int:
    return int((kwh * 1000).to_integral_value(ROUND_HALF_EVEN))


def epoch(instant: datetime) -> int:
    return int(instant.timestamp())


@dataclass(frozen=True, slots=True)
class FeedWriter:
    """Writes one account's feed; every method returns UTF-8 bytes to send as they are."""

    cooperative_id: str
    account_number: str
    title: str
    updated: datetime  # when the feed was made: every entry's published and updated
    self_url: str
    interval_length: int  # seconds

    def head(self) -> bytes:
        feed = etree.Element(_atom("feed"), nsmap=_ATOM_DEFAULT)
        self._identify(feed, f"Feed/{self.self_url}", self.title)
        etree.SubElement(feed, _atom("link"), rel="self", href=self.self_url)
        opening = etree.tostring(feed, encoding="unicode").removesuffix("</feed>")
        return f'<?xml version="1.0" encoding="UTF-8"?>\n{opening}\n'.encode()

    @staticmethod
    def tail() -> bytes:
        return b"</feed>\n"

    def usage_point(self, title: str, connected: bool) -> bytes:
        point = _espi("UsagePoint")
        category = etree.SubElement(point, _espi_tag("ServiceCategory"))
        _add(category, "kind", ELECTRICITY_SERVICE)
        _add(point, "status", 1 if connected else 0)
        related = (
            f"{self._point}/MeterReading",
            "LocalTimeParameters/1",
            f"{self._point}/ElectricPowerUsageSummary",
        )
        return self._entry(self._point, title, point, related)

    def local_time_parameters(self, zone_name: str, parameters: LocalTimeParameters) -> bytes:
        content = _espi("LocalTimeParameters")
        _add(content, "dstEndRule", parameters.hex_rule(parameters.dst_end_rule))
        _add(content, "dstOffset", parameters.dst_offset)
        _add(content, "dstStartRule", parameters.hex_rule(parameters.dst_start_rule))
        _add(content, "tzOffset", parameters.tz_offset)
        return self._entry("LocalTimeParameters/1", zone_name, content)

    def meter_reading(self, flow: Flow) -> bytes:
        path = self._reading(flow)
        related = [f"{path}/IntervalBlock", f"ReadingType/{flow.number}"]
        title = "Energy delivered" if flow is Flow.DELIVERED else "Energy received"
        return self._entry(path, title, _espi("MeterReading"), related)

    def reading_type(self, flow: Flow) -> bytes:
        content = _espi("ReadingType")
        _add(content, "accumulationBehaviour", DELTA_DATA)
        _add(content, "commodity", ELECTRICITY)
        _add(content, "currency", US_DOLLAR)
        _add(content, "dataQualifier", NORMAL)
        _add(content, "defaultQuality", VALID)
        _add(content, "flowDirection", flow.direction)
        _add(content, "intervalLength", self.interval_length)
        _add(content, "kind", ENERGY)
        _add(content, "powerOfTenMultiplier", 0)
        _add(content, "timeAttribute", 0)
        _add(content, "uom", WATT_HOURS)
        title = f"Energy {flow.name.lower()}, Wh per {self.interval_length} seconds"
        return self._entry(f"ReadingType/{flow.number}", title, content)

    def interval_block(
        self, flow: Flow, start: datetime, end: datetime, rows: Sequence[UsageRow]
    ) -> bytes:
        """The intervals of local days within one calendar month, from ``start`` (local)."""
        block = _espi("IntervalBlock")
        _interval(block, "interval", start, end)
        for row in rows:
            reading = etree.SubElement(block, _espi_tag("IntervalReading"))
            quality = QUALITY[row.quality]
            if quality != VALID:
                _add(etree.SubElement(reading, _espi_tag("ReadingQuality")), "quality", quality)
            _interval(reading, "timePeriod", row.start, row.end)
            _add(reading, "value", watt_hours(flow.kwh(row)))
        path = f"{self._reading(flow)}/IntervalBlock/{start:%Y%m}"
        return self._entry(path, f"{start.date()} - {end.date()}", block)

    def usage_summary(self, bill: Bill, start: datetime, end: datetime) -> bytes:
        summary = _espi("ElectricPowerUsageSummary")
        _interval(summary, "billingPeriod", start, end)
        new_charges = sum((line.amount for line in bill.charges), Decimal(0))
        _add(summary, "billLastPeriod", int(new_charges * _HUNDRED_THOUSANDTHS))
        _add(summary, "currency", US_DOLLAR)
        consumption = etree.SubElement(summary, _espi_tag("overallConsumptionLastPeriod"))
        _add(consumption, "powerOfTenMultiplier", 0)
        _add(consumption, "uom", WATT_HOURS)
        _add(consumption, "value", watt_hours(bill.kwh_billed))
        _add(summary, "statusTimeStamp", epoch(self.updated))
        path = f"{self._point}/ElectricPowerUsageSummary/{quote(bill.bill_id, safe='')}"
        return self._entry(path, f"Bill {bill.bill_id}", summary)

    @property
    def _point(self) -> str:
        return f"RetailCustomer/{self.account_number}/UsagePoint/1"

    def _reading(self, flow: Flow) -> str:
        return f"{self._point}/MeterReading/{flow.number}"

    def _entry(
        self, path: str, title: str, content: etree._Element, related: Sequence[str] = ()
    ) -> bytes:
        entry = etree.Element(_atom("entry"), nsmap=_ATOM_DEFAULT)
        self._identify(entry, path, title)
        etree.SubElement(entry, _atom("link"), rel="self", href=path)
        etree.SubElement(entry, _atom("link"), rel="up", href=path.rsplit("/", 1)[0])
        for href in related:
            etree.SubElement(entry, _atom("link"), rel="related", href=href)
        etree.SubElement(entry, _atom("content")).append(content)
        etree.SubElement(entry, _atom("published")).text = self.updated.isoformat()
        return etree.tostring(entry, encoding="UTF-8", xml_declaration=False) + b"\n"

    def _identify(self, element: etree._Element, path: str, title: str) -> None:
        name = f"{self.cooperative_id}/{self.account_number}/{path}"
        etree.SubElement(element, _atom("id")).text = uuid.uuid5(uuid.NAMESPACE_URL, name).urn
        etree.SubElement(element, _atom("title")).text = title
        etree.SubElement(element, _atom("updated")).text = self.updated.isoformat()


def _atom(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _espi_tag(name: str) -> str:
    return f"{{{ESPI}}}{name}"


def _espi(name: str) -> etree._Element:
    return etree.Element(_espi_tag(name), nsmap=_ESPI_DEFAULT)


def _add(parent: etree._Element, name: str, value: int | str) -> None:
    etree.SubElement(parent, _espi_tag(name)).text = str(value)


def _interval(parent: etree._Element, name: str, start: datetime, end: datetime) -> None:
    interval = etree.SubElement(parent, _espi_tag(name))
    _add(interval, "duration", epoch(end) - epoch(start))
    _add(interval, "start", epoch(start))
