"""Domain records: what every CIS adapter returns, whatever its wire format.

Records are frozen dataclasses. Money is ``Decimal``, instants are timezone-aware
``datetime`` objects, and nothing of SOAP, zeep or XML appears here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


class AccountStatus(enum.Enum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    PENDING_DISCONNECT = "PendingDisconnect"
    DISCONNECTED = "Disconnected"
    CLOSED = "Closed"


class PowerStatus(enum.Enum):
    POWER_ON = "PowerOn"
    POWER_OFF = "PowerOff"
    STATUS_UNKNOWN = "StatusUnknown"


class ServiceStatus(enum.Enum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    DISCONNECTED = "Disconnected"


class MeterKind(enum.Enum):
    AMI = "AMI"
    AMR = "AMR"


class ReadingQuality(enum.Enum):
    ACTUAL = "Actual"
    ESTIMATED = "Estimated"
    MISSING = "Missing"


class IntervalLength(enum.Enum):
    """Usage resolutions the CIS serves. DAILY intervals are the co-op's local days."""

    FIFTEEN_MINUTES = "FifteenMinutes"
    HOURLY = "Hourly"
    DAILY = "Daily"


class OutageStatus(enum.Enum):
    ASSUMED = "Assumed"
    CONFIRMED = "Confirmed"
    RESTORED = "Restored"
    SCHEDULED = "Scheduled"


class CrewStatus(enum.Enum):
    NOT_ASSIGNED = "NotAssigned"
    DISPATCHED = "Dispatched"
    ON_SITE = "OnSite"
    COMPLETE = "Complete"


class OutageReportKind(enum.Enum):
    NO_POWER = "NoPower"
    PARTIAL_POWER = "PartialPower"
    FLICKERING = "Flickering"
    LINE_DOWN = "LineDown"
    OTHER = "Other"


class TenderType(enum.Enum):
    CARD = "Card"
    ACH = "ACH"
    CHECK = "Check"
    CASH = "Cash"


class PaymentChannel(enum.Enum):
    WEB = "Web"
    MOBILE = "Mobile"
    AUTOPAY = "Autopay"
    OFFICE = "Office"
    DROP_BOX = "DropBox"
    MAIL = "Mail"
    PHONE = "Phone"


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str | None = None


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: Decimal
    longitude: Decimal


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    last_name: str
    billing_address: Address
    first_name: str | None = None
    dba_name: str | None = None
    email: str | None = None
    home_phone: str | None = None
    day_phone: str | None = None

    @property
    def display_name(self) -> str:
        """A business's name, or a person's first and last name."""
        if self.dba_name:
            return self.dba_name
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True, slots=True)
class Balance:
    current: Decimal
    past_30: Decimal
    past_60: Decimal
    past_90: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Account:
    account_number: str
    customer_id: str
    account_status: AccountStatus
    billing_cycle: str
    budget_bill: bool
    is_pre_pay: bool
    balance: Balance
    payment_due_date: date | None = None
    last_payment_date: date | None = None
    last_payment_amount: Decimal | None = None
    last_bill_date: date | None = None
    last_bill_amount: Decimal | None = None
    shut_off_date: date | None = None
    service_location_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceLocation:
    service_location_id: str
    account_number: str
    service_address: Address
    service_type: str
    revenue_class: str
    service_status: ServiceStatus
    power_status: PowerStatus
    gps: GeoPoint | None = None
    meter_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Meter:
    meter_number: str
    service_location_id: str
    kind: MeterKind
    is_net_metered: bool
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class ChargeLine:
    description: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Bill:
    bill_id: str
    account_number: str
    bill_date: date
    period_start: date
    period_end: date
    due_date: date
    prior_balance: Decimal
    payments_applied: Decimal
    total_due: Decimal
    kwh_billed: Decimal
    charges: tuple[ChargeLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Payment:
    payment_id: str
    account_number: str
    amount: Decimal
    tender_type: TenderType
    channel: PaymentChannel
    posted_at: datetime
    external_reference: str | None = None


@dataclass(frozen=True, slots=True)
class TimeOfUsePeriod:
    """A window of local time, [start_hour, end_hour), billed at its own energy charge."""

    name: str
    start_hour: int
    end_hour: int
    weekdays_only: bool
    energy_charge_per_kwh: Decimal


@dataclass(frozen=True, slots=True)
class RateSchedule:
    """The rate an account is billed on.

    Energy outside every time-of-use period is billed at ``energy_charge_per_kwh``.
    """

    account_number: str
    rate_code: str
    name: str
    fixed_daily_charge: Decimal
    energy_charge_per_kwh: Decimal
    time_of_use_periods: tuple[TimeOfUsePeriod, ...] = ()


@dataclass(frozen=True, slots=True)
class UsageInterval:
    start: datetime
    end: datetime
    kwh_delivered: Decimal
    kwh_received: Decimal
    quality: ReadingQuality


@dataclass(frozen=True, slots=True)
class OutageArea:
    centroid: GeoPoint
    polygon: tuple[GeoPoint, ...] = ()


@dataclass(frozen=True, slots=True)
class OutageEvent:
    outage_event_id: str
    status: OutageStatus
    start_time: datetime
    customers_affected: int
    customers_restored: int
    crew_status: CrewStatus
    is_planned: bool
    area: OutageArea
    sequence: int
    cause: str | None = None
    estimated_restoration: datetime | None = None
    restored_at: datetime | None = None
    substation: str | None = None
    feeder: str | None = None


@dataclass(frozen=True, slots=True)
class OutageFeed:
    """The outage change feed, and the sequence to poll from next.

    For sequence 0 it holds every active event; after that, every event changed since the
    sequence asked for, restored ones included (that is how a poller sees an outage end).
    """

    events: tuple[OutageEvent, ...]
    latest_sequence: int


@dataclass(frozen=True, slots=True)
class LocationOutageStatus:
    service_location_id: str
    power_status: PowerStatus
    outage_event_id: str | None = None
    estimated_restoration: datetime | None = None


@dataclass(frozen=True, slots=True)
class OutageReport:
    """A trouble call from a member."""

    account_number: str
    service_location_id: str
    kind: OutageReportKind
    reported_at: datetime
    note: str | None = None
    callback_phone: str | None = None


@dataclass(frozen=True, slots=True)
class OutageReportReceipt:
    report_id: str
    service_location_id: str
    outage_event_id: str
    status: OutageStatus
    estimated_restoration: datetime | None = None


@dataclass(frozen=True, slots=True)
class PaymentTransaction:
    """A payment to apply to an account. The CIS applies one ``external_reference`` at most once."""

    external_reference: str
    account_number: str
    amount: Decimal
    tender_type: TenderType
    channel: PaymentChannel
    received_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentReceipt:
    external_reference: str
    payment_id: str
    account_number: str
    amount: Decimal
    posted_at: datetime
    already_applied: bool


@dataclass(frozen=True, slots=True)
class ContactUpdate:
    """New contact details for a customer; ``None`` leaves a field as it is."""

    customer_id: str
    email: str | None = None
    home_phone: str | None = None
    day_phone: str | None = None
    billing_address: Address | None = None


@dataclass(frozen=True, slots=True)
class DateRange:
    """Inclusive range of dates, as the CIS filters bills, payments and outage history."""

    start: date
    end: date
