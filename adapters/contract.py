"""The contract between coop-gateway and a co-op's customer-information system.

Every read is batch-first: it takes a list of keys and returns a mapping from key to
record(s); keys the CIS does not know are simply absent. One-to-many reads return a
tuple per key (empty when the key exists but has no rows). An adapter may split a
large read batch into several calls; callers never need to. Writes are never split: a
write batch larger than the adapter sends in one call (500 items for the SOAP adapter)
is refused with ``BatchTooLarge`` before anything is sent, so a write is sent whole or
not at all.

A partner co-op implements this protocol for its own CIS, and proves it with the
contract suite in ``tests/contract/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from adapters.records import (
    Account,
    Bill,
    ContactUpdate,
    Customer,
    DateRange,
    IntervalLength,
    LocationOutageStatus,
    Meter,
    OutageEvent,
    OutageFeed,
    OutageReport,
    OutageReportReceipt,
    Payment,
    PaymentReceipt,
    PaymentTransaction,
    RateSchedule,
    ServiceLocation,
    UsageInterval,
)


class CisAdapter(Protocol):
    async def ping(self) -> None:
        """Return when the CIS answers; raise ``CisError`` when it does not."""

    async def get_customers(self, customer_ids: Sequence[str]) -> Mapping[str, Customer]: ...

    async def get_accounts(self, account_numbers: Sequence[str]) -> Mapping[str, Account]: ...

    async def get_accounts_by_customer(
        self, customer_ids: Sequence[str]
    ) -> Mapping[str, tuple[Account, ...]]: ...

    async def get_service_locations(
        self, account_numbers: Sequence[str]
    ) -> Mapping[str, tuple[ServiceLocation, ...]]: ...

    async def get_meters(self, meter_numbers: Sequence[str]) -> Mapping[str, Meter]: ...

    async def get_bills(
        self, account_numbers: Sequence[str], period: DateRange
    ) -> Mapping[str, tuple[Bill, ...]]:
        """Bills whose bill date falls in ``period``, newest first."""

    async def get_payments(
        self, account_numbers: Sequence[str], period: DateRange
    ) -> Mapping[str, tuple[Payment, ...]]:
        """Payments posted on a local date in ``period``, newest first."""

    async def get_rate_schedules(
        self, account_numbers: Sequence[str]
    ) -> Mapping[str, RateSchedule]: ...

    async def get_usage(
        self,
        meter_numbers: Sequence[str],
        start: datetime,
        end: datetime,
        interval_length: IntervalLength,
    ) -> Mapping[str, tuple[UsageInterval, ...]]:
        """Intervals starting in [start, end), oldest first; only intervals already measured."""

    async def get_active_outages(self, since_sequence: int = 0) -> OutageFeed:
        """The outage change feed, oldest change first.

        ``since_sequence`` 0 gives every active event (a snapshot); above 0, every event
        whose sequence is above it, restored ones included, which is how a poller passing
        the previous ``latest_sequence`` learns that an outage ended.
        """

    async def get_outages(self, outage_event_ids: Sequence[str]) -> Mapping[str, OutageEvent]: ...

    async def get_outage_status(
        self, service_location_ids: Sequence[str]
    ) -> Mapping[str, LocationOutageStatus]: ...

    async def get_outage_history(
        self, account_numbers: Sequence[str], period: DateRange
    ) -> Mapping[str, tuple[OutageEvent, ...]]: ...

    async def submit_outage_reports(
        self, reports: Sequence[OutageReport]
    ) -> tuple[OutageReportReceipt, ...]: ...

    async def process_payments(
        self, transactions: Sequence[PaymentTransaction]
    ) -> tuple[PaymentReceipt, ...]:
        """Apply payments, one receipt per transaction in order.

        A repeated ``external_reference`` returns the original receipt (``already_applied``);
        repeating one with another account or amount is refused with ``CisRefused``, as is a
        batch with a transaction the CIS will not take (an unknown or closed account, an
        account on payment hold): then nothing of the batch is applied.
        """

    async def update_contact_info(self, updates: Sequence[ContactUpdate]) -> Mapping[str, Customer]:
        """Apply contact changes and return what the CIS holds per customer after all of them."""

    async def aclose(self) -> None: ...
