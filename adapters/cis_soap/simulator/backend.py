"""The simulated CIS, in process: the ``CisAdapter`` contract over generated co-op data.

Data is a deterministic function of the seed and of the clock's local date when the
simulator starts (24 months of history back from that day). Writes are kept in SQLite
(``database_path``) and take effect at once; a new simulator on the same file keeps
them. The SOAP server serves this backend; tests may also use it directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.cis_soap.operations import FAULT_INVALID_REQUEST, FAULT_UNKNOWN_OBJECT
from adapters.cis_soap.simulator import billing, outage_seed, usage_window, writes
from adapters.cis_soap.simulator.dataset import Dataset, SampleCustomer
from adapters.cis_soap.simulator.outages import OPEN_STATUSES, OutageBook
from adapters.cis_soap.simulator.rates import rate_schedule
from adapters.cis_soap.simulator.specs import SERVICE_TYPE, AccountSpec, LocationSpec
from adapters.cis_soap.simulator.store import Store
from adapters.cis_soap.simulator.usage import UsageModel
from adapters.errors import CisFault, CisRefused
from adapters.records import (
    Account,
    AccountStatus,
    Bill,
    ContactUpdate,
    CrewStatus,
    Customer,
    DateRange,
    IntervalLength,
    LocationOutageStatus,
    Meter,
    OutageEvent,
    OutageFeed,
    OutageReport,
    OutageReportReceipt,
    OutageStatus,
    Payment,
    PaymentReceipt,
    PaymentTransaction,
    PowerStatus,
    RateSchedule,
    ServiceLocation,
    ServiceStatus,
    UsageInterval,
)


class SimulatedCis:
    """Implements ``adapters.contract.CisAdapter``; see the module docstring."""

    def __init__(
        self,
        *,
        seed: int = 1,
        members: int = 2000,
        database_path: Path | str | None = None,
        time_zone: str | ZoneInfo = "America/Chicago",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``database_path`` None keeps writes in memory; ``clock`` defaults to the real time."""
        self.zone = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
        self._clock = clock or (lambda: datetime.now(self.zone))
        now = self.now()
        self.seed = seed
        self.anchor_date = now.date()
        self._dataset = Dataset(seed, members, self.anchor_date)
        self._usage = UsageModel(seed, self.zone)
        self._outages = OutageBook(self._dataset)
        outage_seed.add_history(self._outages, self._dataset, seed, self.zone, self.anchor_date)
        self._ledgers: dict[str, billing.Ledger] = {}
        self._store = Store(":memory:" if database_path is None else database_path)
        self._store.claim({"seed": str(seed), "members": str(members), "time_zone": self.zone.key})
        stored_events = self._store.outage_events()
        for state in stored_events:
            self._outages.add(state)
        if not stored_events:
            live = outage_seed.open_live_events(self._outages, self._dataset, seed, now, self.zone)
            self._store.write(events=live)
        self._writer = writes.Writer(self._dataset, self._outages, self._store, self.now, self.zone)

    def now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the simulator's clock must return timezone-aware datetimes")
        return now.astimezone(self.zone)

    @property
    def customer_ids(self) -> tuple[str, ...]:
        """Every customer the simulated CIS holds, the demo customers first."""
        return tuple(self._dataset.customers)

    @property
    def account_numbers(self) -> tuple[str, ...]:
        """Every account, open and closed, the demo customers' first."""
        return tuple(self._dataset.accounts)

    def sample(self, n: int) -> list[SampleCustomer]:
        """``n`` ordinary members (never the named demo customers) a test can sign up as."""
        return self._dataset.sample(n)

    async def ping(self) -> None:
        self._store.payment_count()

    async def aclose(self) -> None:
        self._store.close()

    async def get_customers(self, customer_ids: Sequence[str]) -> Mapping[str, Customer]:
        return {cid: self._writer.customer(cid) for cid in customer_ids if self._knows(cid)}

    async def get_accounts(self, account_numbers: Sequence[str]) -> Mapping[str, Account]:
        accounts = self._dataset.accounts
        return {n: self._account(accounts[n]) for n in account_numbers if n in accounts}

    async def get_accounts_by_customer(
        self, customer_ids: Sequence[str]
    ) -> Mapping[str, tuple[Account, ...]]:
        by_customer = self._dataset.accounts_by_customer
        return {
            cid: tuple(self._account(spec) for spec in by_customer[cid])
            for cid in customer_ids
            if cid in by_customer
        }

    async def get_service_locations(
        self, account_numbers: Sequence[str]
    ) -> Mapping[str, tuple[ServiceLocation, ...]]:
        return {
            spec.account_number: tuple(self._location(loc, spec.closed) for loc in spec.locations)
            for spec in self._specs(account_numbers)
        }

    async def get_meters(self, meter_numbers: Sequence[str]) -> Mapping[str, Meter]:
        meters = self._dataset.meters
        return {number: meters[number].record for number in meter_numbers if number in meters}

    async def get_bills(
        self, account_numbers: Sequence[str], period: DateRange
    ) -> Mapping[str, tuple[Bill, ...]]:
        return {
            spec.account_number: tuple(
                bill
                for bill in reversed(self._ledger(spec).bills)
                if period.start <= bill.bill_date <= period.end
            )
            for spec in self._specs(account_numbers)
        }

    async def get_payments(
        self, account_numbers: Sequence[str], period: DateRange
    ) -> Mapping[str, tuple[Payment, ...]]:
        return {
            spec.account_number: tuple(
                payment
                for payment in reversed(self._payments(spec))
                if period.start <= payment.posted_at.astimezone(self.zone).date() <= period.end
            )
            for spec in self._specs(account_numbers)
        }

    async def get_rate_schedules(
        self, account_numbers: Sequence[str]
    ) -> Mapping[str, RateSchedule]:
        return {
            spec.account_number: rate_schedule(spec.account_number, spec.rate_code)
            for spec in self._specs(account_numbers)
        }

    async def get_usage(
        self,
        meter_numbers: Sequence[str],
        start: datetime,
        end: datetime,
        interval_length: IntervalLength,
    ) -> Mapping[str, tuple[UsageInterval, ...]]:
        """Intervals of local quarter-hours, hours or days; kWh include the meter multiplier."""
        usage_window.check_window(start, end)
        now, meters = self.now(), self._dataset.meters
        return {
            number: self._usage.intervals(meters[number].profile, start, end, interval_length, now)
            for number in meter_numbers
            if number in meters
        }

    async def get_active_outages(self, since_sequence: int = 0) -> OutageFeed:
        if since_sequence < 0:
            raise CisFault(FAULT_INVALID_REQUEST, "must not be negative", "sinceSequence")
        changed = self._outages.changes(since_sequence)
        return OutageFeed(tuple(state.record() for state in changed), self._outages.sequence)

    async def get_outages(self, outage_event_ids: Sequence[str]) -> Mapping[str, OutageEvent]:
        states = ((event_id, self._outages.get(event_id)) for event_id in outage_event_ids)
        return {event_id: state.record() for event_id, state in states if state is not None}

    async def get_outage_status(
        self, service_location_ids: Sequence[str]
    ) -> Mapping[str, LocationOutageStatus]:
        locations = self._dataset.locations
        return {
            location_id: self._outage_status(locations[location_id])
            for location_id in service_location_ids
            if location_id in locations
        }

    async def get_outage_history(
        self, account_numbers: Sequence[str], period: DateRange
    ) -> Mapping[str, tuple[OutageEvent, ...]]:
        history = {}
        for spec in self._specs(account_numbers):
            states = self._outages.events_at(loc.service_location_id for loc in spec.locations)
            events = [
                state.record()
                for state in states
                if period.start <= state.start_time.astimezone(self.zone).date() <= period.end
            ]
            events.sort(key=lambda event: event.start_time, reverse=True)
            history[spec.account_number] = tuple(events)
        return history

    async def submit_outage_reports(
        self, reports: Sequence[OutageReport]
    ) -> tuple[OutageReportReceipt, ...]:
        return self._writer.submit_outage_reports(reports)

    async def process_payments(
        self, transactions: Sequence[PaymentTransaction]
    ) -> tuple[PaymentReceipt, ...]:
        return self._writer.process_payments(transactions)

    async def update_contact_info(self, updates: Sequence[ContactUpdate]) -> Mapping[str, Customer]:
        return self._writer.update_contact_info(updates)

    def hold_payments(self, account_numbers: Iterable[str]) -> None:
        """From now on the CIS refuses payments on these accounts (and only these)."""
        self._writer.payment_holds = frozenset(account_numbers)

    async def advance_outage(
        self,
        outage_event_id: str,
        *,
        status: OutageStatus | None = None,
        crew_status: CrewStatus | None = None,
        estimated_restoration: datetime | None = None,
    ) -> OutageEvent:
        """Move a live outage on (new ETR, crew dispatched, restored…) with a new sequence.
        Refuses an unknown outage, and one that is not live: a restored one, or a planned
        one (those keep to the schedule the seed gave them)."""
        state = self._outages.get(outage_event_id)
        if state is None:
            raise CisFault(FAULT_UNKNOWN_OBJECT, f"no outage {outage_event_id}", outage_event_id)
        if state.status not in OPEN_STATUSES:
            reason = f"outage {outage_event_id} is {state.status.name.lower()}"
            raise CisRefused(FAULT_INVALID_REQUEST, reason, outage_event_id)
        self._outages.advance(
            state,
            self.now(),
            status=status,
            crew_status=crew_status,
            estimated_restoration=estimated_restoration,
        )
        self._store.write(events=[state])
        return state.record()

    def _knows(self, customer_id: str) -> bool:
        return customer_id in self._dataset.customers

    def _specs(self, account_numbers: Sequence[str]) -> list[AccountSpec]:
        accounts = self._dataset.accounts
        return [accounts[number] for number in account_numbers if number in accounts]

    def _ledger(self, spec: AccountSpec) -> billing.Ledger:
        ledger = self._ledgers.get(spec.account_number)
        if ledger is None:
            ledger = billing.build_ledger(spec, self._usage, self.seed, self.anchor_date, self.zone)
            self._ledgers[spec.account_number] = ledger
        return ledger

    def _payments(self, spec: AccountSpec) -> list[Payment]:
        """Generated and applied payments, oldest first."""
        applied = self._writer.payments.get(spec.account_number, [])
        return [*self._ledger(spec).payments, *applied]

    def _account(self, spec: AccountSpec) -> Account:
        ledger = self._ledger(spec)
        applied = self._writer.payments.get(spec.account_number, [])
        payments = [*ledger.payments, *applied]
        last_bill, last_payment = ledger.bills[-1], payments[-1] if payments else None
        owed = billing.outstanding(ledger, applied)
        return Account(
            account_number=spec.account_number,
            customer_id=spec.customer_id,
            account_status=AccountStatus.CLOSED if spec.closed else AccountStatus.ACTIVE,
            billing_cycle=spec.billing_cycle,
            budget_bill=spec.budget_bill,
            is_pre_pay=False,
            balance=billing.aged_balance(ledger.bills, owed, self.now().date()),
            payment_due_date=None if spec.closed else last_bill.due_date,
            last_payment_date=None if last_payment is None else last_payment.posted_at.date(),
            last_payment_amount=None if last_payment is None else last_payment.amount,
            last_bill_date=last_bill.bill_date,
            last_bill_amount=last_bill.total_due,
            service_location_ids=tuple(loc.service_location_id for loc in spec.locations),
        )

    def _location(self, location: LocationSpec, closed: bool) -> ServiceLocation:
        return ServiceLocation(
            service_location_id=location.service_location_id,
            account_number=location.account_number,
            service_address=location.service_address,
            service_type=SERVICE_TYPE,
            revenue_class=location.revenue_class,
            service_status=ServiceStatus.INACTIVE if closed else ServiceStatus.ACTIVE,
            power_status=self._outage_status(location).power_status,
            gps=location.gps,
            meter_numbers=tuple(meter.record.meter_number for meter in location.meters),
        )

    def _outage_status(self, location: LocationSpec) -> LocationOutageStatus:
        location_id = location.service_location_id
        if self._dataset.accounts[location.account_number].closed:
            return LocationOutageStatus(location_id, PowerStatus.STATUS_UNKNOWN)
        state = self._outages.open_event_at(location_id)
        if state is None:
            return LocationOutageStatus(location_id, PowerStatus.POWER_ON)
        return LocationOutageStatus(
            location_id, PowerStatus.POWER_OFF, state.outage_event_id, state.estimated_restoration
        )
