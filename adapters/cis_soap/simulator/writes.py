"""The simulated CIS's writes: payments, contact changes and trouble calls.

A batch is checked whole before anything is applied: one unknown account, location or
customer refuses the batch with a ``CisRefused`` naming it, and nothing of it is kept.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from adapters.cis_soap.operations import FAULT_INVALID_REQUEST, FAULT_UNKNOWN_OBJECT
from adapters.cis_soap.simulator.dataset import Dataset
from adapters.cis_soap.simulator.outages import OutageBook, OutageState
from adapters.cis_soap.simulator.store import Store
from adapters.errors import CisRefused
from adapters.records import (
    ContactUpdate,
    Customer,
    OutageReport,
    OutageReportReceipt,
    Payment,
    PaymentReceipt,
    PaymentTransaction,
)

_CENT = Decimal("0.01")
_AMOUNT_LIMIT = Decimal(10) ** 16  # any amount below it fits Money's 18 digits, cents and all


class Writer:
    def __init__(
        self,
        dataset: Dataset,
        outages: OutageBook,
        store: Store,
        now: Callable[[], datetime],
        zone: ZoneInfo,
    ) -> None:
        self._dataset = dataset
        self._outages = outages
        self._store = store
        self._now = now
        self.payments: defaultdict[str, list[Payment]] = defaultdict(list)  # by account
        self._by_reference: dict[str, Payment] = {}
        for reference, payment in store.payments():
            # Posted times come back with a fixed offset; show them in the co-op's zone.
            local = dataclasses.replace(payment, posted_at=payment.posted_at.astimezone(zone))
            self._remember(reference, local)
        self._contacts = {customer.customer_id: customer for customer in store.contacts()}
        # Accounts the CIS takes no payments on (collections, bankruptcy): set by the control.
        self.payment_holds: frozenset[str] = frozenset()

    def customer(self, customer_id: str) -> Customer:
        """The customer as the CIS holds it now, contact changes included."""
        return self._contacts.get(customer_id) or self._dataset.customers[customer_id]

    def process_payments(
        self, transactions: Sequence[PaymentTransaction]
    ) -> tuple[PaymentReceipt, ...]:
        """Apply each external reference at most once; a repeat gets the original receipt,
        and a repeat for another account or amount refuses the batch.

        Nothing here awaits, so concurrent calls run one after the other, and the store's
        primary key on the reference would refuse a second payment all the same.
        """
        new: dict[str, PaymentTransaction] = {}
        repeats = []  # per transaction: was its reference applied before it?
        for transaction in transactions:
            reference = transaction.external_reference
            earlier: PaymentTransaction | Payment | None = new.get(reference) or (
                self._by_reference.get(reference)
            )
            if earlier is None:
                self._check_payable(transaction)
                new[reference] = transaction
            elif (earlier.account_number, earlier.amount) != (
                transaction.account_number,
                transaction.amount,
            ):
                raise CisRefused(
                    FAULT_INVALID_REQUEST,
                    "externalReference was already used for another account or amount",
                    reference,
                )
            repeats.append(earlier is not None)
        posted_at = self._now()
        applied = [
            Payment(
                payment_id=f"PAY{len(self._by_reference) + number:08d}",
                account_number=transaction.account_number,
                amount=transaction.amount,
                tender_type=transaction.tender_type,
                channel=transaction.channel,
                posted_at=posted_at,
                external_reference=reference,
            )
            for number, (reference, transaction) in enumerate(new.items(), start=1)
        ]
        self._store.write(payments=applied)
        for reference, payment in zip(new, applied, strict=True):
            self._remember(reference, payment)
        return tuple(
            self._receipt(transaction.external_reference, repeat)
            for transaction, repeat in zip(transactions, repeats, strict=True)
        )

    def update_contact_info(self, updates: Sequence[ContactUpdate]) -> dict[str, Customer]:
        for update in updates:
            if update.customer_id not in self._dataset.customers:
                raise CisRefused(FAULT_UNKNOWN_OBJECT, "no such customer", update.customer_id)
        changed: dict[str, Customer] = {}
        for update in updates:
            current = changed.get(update.customer_id) or self.customer(update.customer_id)
            fields = {
                name: getattr(update, name)
                for name in ("email", "home_phone", "day_phone", "billing_address")
                if getattr(update, name) is not None
            }
            changed[update.customer_id] = dataclasses.replace(current, **fields)
        self._store.write(contacts=changed.values())
        self._contacts.update(changed)
        return changed

    def submit_outage_reports(
        self, reports: Sequence[OutageReport]
    ) -> tuple[OutageReportReceipt, ...]:
        """Join each call to the open event already affecting its location, or open an
        Assumed event for it (one per location: later calls join it)."""
        for report in reports:
            self._check_reportable(report)
        now = self._now()
        events: list[OutageState] = []
        opened: list[OutageState] = []
        for report in reports:
            state = self._outages.open_event_at(report.service_location_id)
            if state is None:
                location = self._dataset.locations[report.service_location_id]
                start = min(report.reported_at, now)
                state = self._outages.open(location.feeder, (location.service_location_id,), start)
                opened.append(state)
            events.append(state)
        calls = [
            (report, state.outage_event_id) for report, state in zip(reports, events, strict=True)
        ]
        numbers = self._store.write(events=opened, reports=calls)
        return tuple(
            OutageReportReceipt(
                report_id=f"TR{number:08d}",
                service_location_id=report.service_location_id,
                outage_event_id=state.outage_event_id,
                status=state.status,
                estimated_restoration=state.estimated_restoration,
            )
            for number, report, state in zip(numbers, reports, events, strict=True)
        )

    def _receipt(self, reference: str, already_applied: bool) -> PaymentReceipt:
        payment = self._by_reference[reference]
        return PaymentReceipt(
            external_reference=reference,
            payment_id=payment.payment_id,
            account_number=payment.account_number,
            amount=payment.amount,
            posted_at=payment.posted_at,
            already_applied=already_applied,
        )

    def _remember(self, reference: str, payment: Payment) -> None:
        self._by_reference[reference] = payment
        self.payments[payment.account_number].append(payment)

    def _check_payable(self, transaction: PaymentTransaction) -> None:
        account = self._dataset.accounts.get(transaction.account_number)
        if account is None:
            raise CisRefused(FAULT_UNKNOWN_OBJECT, "no such account", transaction.account_number)
        if account.closed:
            raise CisRefused(FAULT_INVALID_REQUEST, "account is closed", transaction.account_number)
        if transaction.account_number in self.payment_holds:
            raise CisRefused(
                FAULT_INVALID_REQUEST, "account is on payment hold", transaction.account_number
            )
        amount = transaction.amount
        # Bounded before quantize, which fails beyond Decimal's 28 digits.
        in_range = amount.is_finite() and 0 < amount < _AMOUNT_LIMIT
        if not in_range or amount != amount.quantize(_CENT):
            raise CisRefused(
                FAULT_INVALID_REQUEST,
                f"amount must be whole cents above 0 and below {_AMOUNT_LIMIT:f}",
                transaction.external_reference,
            )

    def _check_reportable(self, report: OutageReport) -> None:
        if report.reported_at.tzinfo is None:
            raise CisRefused(FAULT_INVALID_REQUEST, "reportedAt must carry a UTC offset")
        if report.account_number not in self._dataset.accounts:
            raise CisRefused(FAULT_UNKNOWN_OBJECT, "no such account", report.account_number)
        location = self._dataset.locations.get(report.service_location_id)
        if location is None:
            raise CisRefused(
                FAULT_UNKNOWN_OBJECT, "no such service location", report.service_location_id
            )
        if location.account_number != report.account_number:
            raise CisRefused(
                FAULT_INVALID_REQUEST,
                f"service location is not on account {report.account_number}",
                report.service_location_id,
            )
