"""The shape of each CIS operation: what a request carries and what rows come back.

Batch reads share one layout (see ``wsdl/cis.xsd``)::

    <cis:GetAccountsByAccountNumbers>                 request wrapper (qualified)
      <accountNumbers><accountNumber>…</accountNumber>…</accountNumbers>
      …extra parameters (from/to, start/end/intervalLength)…
    </cis:GetAccountsByAccountNumbers>

    <cis:GetAccountsByAccountNumbersResponse>         rows keyed by a field of their own
      <account>…</account>…
      <missingKeys><key>…</key>…</missingKeys>
    </cis:GetAccountsByAccountNumbersResponse>

    <cis:GetBillingDetailsByAccountNumbersResponse>   one-to-many: rows grouped per key
      <group><key>…</key><bill>…</bill>…</group>…
      <missingKeys>…</missingKeys>
    </cis:GetBillingDetailsByAccountNumbersResponse>
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from adapters import records

MAX_BATCH_SIZE = 500

# GetUsageByMeterNumbers serves at most this many intervals per call, counted before
# anything is read as: distinct meterNumbers x ceil((end - start) / nominal length of one
# interval, below). A longer call is refused with Fault Client.RangeTooLarge; callers split
# the meters (or, when one meter alone is too much, the window).
MAX_USAGE_INTERVALS = 100_000
NOMINAL_INTERVAL_LENGTHS = {
    records.IntervalLength.FIFTEEN_MINUTES: timedelta(minutes=15),
    records.IntervalLength.HOURLY: timedelta(hours=1),
    records.IntervalLength.DAILY: timedelta(days=1),
}


def intervals_per_meter(start: datetime, end: datetime, length: records.IntervalLength) -> int:
    """How many intervals of ``length`` a usage call for [start, end) counts per meter.

    Counted in real elapsed time, rounded up; a DAILY interval counts as 24 hours, so local
    days of 23 hours make this an upper bound, never an undercount. Both ends count alike.
    """
    span = end.astimezone(UTC) - start.astimezone(UTC)
    return -(-span // NOMINAL_INTERVAL_LENGTHS[length])


@dataclass(frozen=True, slots=True)
class BatchRead:
    name: str
    keys: str  # wrapper element of the request's keys; each key is ``item_name(keys)``
    row_type: type
    row: str  # element name of one row
    grouped: bool
    key_field: str = ""  # single-row reads: the row's field that holds its key
    params: tuple[str, ...] = ()  # extra request elements, in order


BATCH_READS: dict[str, BatchRead] = {
    op.name: op
    for op in (
        BatchRead(
            "GetCustomersByCustomerIDs",
            "customerIDs",
            records.Customer,
            "customer",
            grouped=False,
            key_field="customer_id",
        ),
        BatchRead(
            "GetAccountsByAccountNumbers",
            "accountNumbers",
            records.Account,
            "account",
            grouped=False,
            key_field="account_number",
        ),
        BatchRead(
            "GetAccountsByCustomerIDs", "customerIDs", records.Account, "account", grouped=True
        ),
        BatchRead(
            "GetServiceLocationsByAccountNumbers",
            "accountNumbers",
            records.ServiceLocation,
            "serviceLocation",
            grouped=True,
        ),
        BatchRead(
            "GetMetersByMeterNumbers",
            "meterNumbers",
            records.Meter,
            "meter",
            grouped=False,
            key_field="meter_number",
        ),
        BatchRead(
            "GetBillingDetailsByAccountNumbers",
            "accountNumbers",
            records.Bill,
            "bill",
            grouped=True,
            params=("from", "to"),
        ),
        BatchRead(
            "GetPaymentsByAccountNumbers",
            "accountNumbers",
            records.Payment,
            "payment",
            grouped=True,
            params=("from", "to"),
        ),
        BatchRead(
            "GetRateSchedulesByAccountNumbers",
            "accountNumbers",
            records.RateSchedule,
            "rateSchedule",
            grouped=False,
            key_field="account_number",
        ),
        BatchRead(
            "GetUsageByMeterNumbers",
            "meterNumbers",
            records.UsageInterval,
            "interval",
            grouped=True,
            params=("start", "end", "intervalLength"),
        ),
        BatchRead(
            "GetOutageEventsByIDs",
            "outageEventIDs",
            records.OutageEvent,
            "outageEvent",
            grouped=False,
            key_field="outage_event_id",
        ),
        BatchRead(
            "GetOutageStatusByServiceLocationIDs",
            "serviceLocationIDs",
            records.LocationOutageStatus,
            "outageStatus",
            grouped=False,
            key_field="service_location_id",
        ),
        BatchRead(
            "GetOutageHistoryByAccountNumbers",
            "accountNumbers",
            records.OutageEvent,
            "outageEvent",
            grouped=True,
            params=("from", "to"),
        ),
    )
}


@dataclass(frozen=True, slots=True)
class BatchWrite:
    """A write: a wrapper of request items in, one answer row per item out, in request order.

    UpdateCustomerContactInfo answers too one row per update: a customer updated twice in
    a call appears twice, both rows showing what the CIS holds after the whole call.
    """

    name: str
    items: str  # wrapper element of the request items; each is ``item_name(items)``
    item_type: type
    row_type: type
    row: str
    echoed_field: str  # the answer row's field that repeats its item's, to check the order
    retryable: bool  # safe to send again after a lost answer


BATCH_WRITES: dict[str, BatchWrite] = {
    op.name: op
    for op in (
        # Trouble calls are not idempotent: a lost answer is not retried blindly.
        BatchWrite(
            "SubmitOutageReports",
            "outageReports",
            records.OutageReport,
            records.OutageReportReceipt,
            "outageReportReceipt",
            echoed_field="service_location_id",
            retryable=False,
        ),
        # The CIS applies an externalReference at most once, so a retry is safe.
        BatchWrite(
            "ProcessPaymentTransactions",
            "paymentTransactions",
            records.PaymentTransaction,
            records.PaymentReceipt,
            "paymentReceipt",
            echoed_field="external_reference",
            retryable=True,
        ),
        BatchWrite(
            "UpdateCustomerContactInfo",
            "contactUpdates",
            records.ContactUpdate,
            records.Customer,
            "customer",
            echoed_field="customer_id",
            retryable=True,
        ),
    )
}

# The other operations, with their own small shapes:
#   PingURL                 -> <cis:PingURLResponse><status>OK</status><serverTime>…</serverTime>
#   GetMethods              -> <cis:GetMethodsResponse><method>GetAccountsByAccountNumbers</method>…
#   GetActiveOutageEvents(sinceSequence)
#                           -> <cis:GetActiveOutageEventsResponse><outageEvent>…</outageEvent>…
#                              <latestSequence>…</latestSequence>
#       sinceSequence 0: every active event (a snapshot); above 0: every event changed
#       after it, restored ones included, so a poller sees an outage end.
OTHER_OPERATIONS = ("PingURL", "GetMethods", "GetActiveOutageEvents")

ALL_OPERATIONS = (*OTHER_OPERATIONS, *BATCH_READS, *BATCH_WRITES)

# Fault codes (faultcode ``soap:<code>``, detail ``<cis:CisFault><code/><object/><reason/>``).
FAULT_AUTHENTICATION = "Client.AuthenticationFailed"
FAULT_BATCH_TOO_LARGE = "Client.BatchTooLarge"
FAULT_INVALID_REQUEST = "Client.InvalidRequest"
FAULT_UNKNOWN_OBJECT = "Client.UnknownObject"
FAULT_RANGE_TOO_LARGE = "Client.RangeTooLarge"
FAULT_SERVER = "Server.Internal"
FAULT_SERVER_BUSY = "Server.Unavailable"
