"""Each CIS operation of the simulator: its request read, the backend called, its answer written.

Requests reach here validated against the XSD, so elements are where the contract puts
them; values the XSD lets through but the records refuse (an instant without an offset,
say) still answer Client.InvalidRequest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from lxml import etree

from adapters.cis_soap import operations
from adapters.cis_soap.simulator import usage_window
from adapters.cis_soap.simulator.soap import SoapFault, invalid_request
from adapters.cis_soap.xmlmap import append_record, item_name, record_parser
from adapters.contract import CisAdapter
from adapters.records import DateRange, IntervalLength

_Params = Callable[[etree._Element], tuple[object, ...]]
_Value = TypeVar("_Value")


def _text(operation: etree._Element, name: str) -> str:
    text = operation.findtext(name)
    if text is None:
        raise invalid_request(f"{name} is missing")
    return text.strip()


def _instant(operation: etree._Element, name: str) -> datetime:
    value = datetime.fromisoformat(_text(operation, name))
    if value.tzinfo is None:
        raise ValueError(f"{name} must carry a UTC offset")
    return value


def _no_params(_: etree._Element) -> tuple[object, ...]:
    return ()


def _period(operation: etree._Element) -> tuple[object, ...]:
    start, end = (date.fromisoformat(_text(operation, name)) for name in ("from", "to"))
    return (DateRange(start, end),)


def _usage_window(operation: etree._Element) -> tuple[object, ...]:
    """The window and length of a usage read, refused before anything is generated when
    it is senseless or asks for more intervals than one call serves."""
    length = IntervalLength(_text(operation, "intervalLength"))
    start, end = _instant(operation, "start"), _instant(operation, "end")
    usage_window.check_window(start, end)
    meters = {key.text for key in _batch(operation, "GetUsageByMeterNumbers")[1]}
    usage_window.check_interval_count(len(meters), start, end, length)
    return start, end, length


# Each read: the backend method it calls with its keys, and its further arguments.
_READS: dict[str, tuple[str, _Params]] = {
    "GetCustomersByCustomerIDs": ("get_customers", _no_params),
    "GetAccountsByAccountNumbers": ("get_accounts", _no_params),
    "GetAccountsByCustomerIDs": ("get_accounts_by_customer", _no_params),
    "GetServiceLocationsByAccountNumbers": ("get_service_locations", _no_params),
    "GetMetersByMeterNumbers": ("get_meters", _no_params),
    "GetBillingDetailsByAccountNumbers": ("get_bills", _period),
    "GetPaymentsByAccountNumbers": ("get_payments", _period),
    "GetRateSchedulesByAccountNumbers": ("get_rate_schedules", _no_params),
    "GetUsageByMeterNumbers": ("get_usage", _usage_window),
    "GetOutageEventsByIDs": ("get_outages", _no_params),
    "GetOutageStatusByServiceLocationIDs": ("get_outage_status", _no_params),
    "GetOutageHistoryByAccountNumbers": ("get_outage_history", _period),
}

_WRITES: dict[str, str] = {
    "SubmitOutageReports": "submit_outage_reports",
    "ProcessPaymentTransactions": "process_payments",
    "UpdateCustomerContactInfo": "update_contact_info",  # answers a mapping by customer
}


def _batch(operation: etree._Element, name: str) -> tuple[str, list[etree._Element]]:
    """The request's wrapper of keys or items, and its item elements."""
    if name in operations.BATCH_READS:
        wrapper = operations.BATCH_READS[name].keys
    elif name in operations.BATCH_WRITES:
        wrapper = operations.BATCH_WRITES[name].items
    else:
        return "", []
    element = operation.find(wrapper)
    if element is None:
        return wrapper, []
    return wrapper, [child for child in element if child.tag == item_name(wrapper)]


def item_count(operation: etree._Element, name: str) -> int:
    """How many keys (reads) or items (writes) a request carries."""
    return len(_batch(operation, name)[1])


def check_batch_size(operation: etree._Element, name: str, max_batch_size: int) -> None:
    wrapper, items = _batch(operation, name)
    if len(items) > max_batch_size:
        raise SoapFault(
            operations.FAULT_BATCH_TOO_LARGE,
            f"{len(items)} {wrapper} in one call; at most {max_batch_size} are accepted",
            wrapper,
        )


def _append_keys(parent: etree._Element, tag: str, keys: Iterable[str]) -> None:
    wrapper = etree.SubElement(parent, tag)
    for key in keys:
        etree.SubElement(wrapper, "key").text = key


def _client_values(parse: Callable[[], _Value]) -> _Value:
    """Request values read by ``parse``; those the records or Decimal arithmetic refuse are
    the client's fault (a Server.* fault would be retried in vain)."""
    try:
        return parse()
    except (ValueError, ArithmeticError) as error:
        raise invalid_request(str(error) or type(error).__name__) from None


async def _read(cis: CisAdapter, name: str, op: etree._Element, out: etree._Element) -> None:
    read = operations.BATCH_READS[name]
    method, params = _READS[name]
    keys = list(dict.fromkeys(key.text or "" for key in _batch(op, name)[1]))
    arguments = _client_values(lambda: params(op))
    found: Mapping[str, Any] = await getattr(cis, method)(keys, *arguments)
    for key, value in found.items():
        if read.grouped:
            group = etree.SubElement(out, "group")
            etree.SubElement(group, "key").text = key
            for row in value:
                append_record(group, read.row, row)
        else:
            append_record(out, read.row, value)
    missing = [key for key in keys if key not in found]
    if missing:
        _append_keys(out, "missingKeys", missing)


async def _write(cis: CisAdapter, name: str, op: etree._Element, out: etree._Element) -> None:
    write = operations.BATCH_WRITES[name]
    parser = record_parser(write.item_type)
    items = _client_values(lambda: [parser.parse(item) for item in _batch(op, name)[1]])
    rows = await getattr(cis, _WRITES[name])(items)
    if isinstance(rows, Mapping):  # by customer: one row per update all the same
        rows = [rows[item.customer_id] for item in items]
    for row in rows:
        append_record(out, write.row, row)


async def _ping(cis: CisAdapter, out: etree._Element) -> None:
    await cis.ping()
    etree.SubElement(out, "status").text = "OK"
    etree.SubElement(out, "serverTime").text = datetime.now(UTC).isoformat()


def _methods(out: etree._Element) -> None:
    for name in operations.ALL_OPERATIONS:
        etree.SubElement(out, "method").text = name


async def _active_outages(cis: CisAdapter, op: etree._Element, out: etree._Element) -> None:
    since = _client_values(lambda: int(op.findtext("sinceSequence") or 0))
    feed = await cis.get_active_outages(since)
    for event in feed.events:
        append_record(out, "outageEvent", event)
    etree.SubElement(out, "latestSequence").text = str(feed.latest_sequence)


async def dispatch(
    cis: CisAdapter, operation: etree._Element, name: str, out: etree._Element
) -> None:
    """Answer the validated request ``operation`` into its response element ``out``.

    Request values the records refuse answer Client.InvalidRequest; the backend's
    ``CisFault`` and other errors pass through.
    """
    if name in operations.BATCH_READS:
        await _read(cis, name, operation, out)
    elif name in operations.BATCH_WRITES:
        await _write(cis, name, operation, out)
    elif name == "PingURL":
        await _ping(cis, out)
    elif name == "GetMethods":
        _methods(out)
    elif name == "GetActiveOutageEvents":
        await _active_outages(cis, operation, out)
    else:
        raise invalid_request(f"unknown operation {name}")
