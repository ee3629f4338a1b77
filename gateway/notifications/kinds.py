"""What members can be told, on which channels, and at which local hours.

Outage news goes out at any hour: it is what members want at once. Everything else goes
out in the co-op's daytime only (08:00 to 20:00 local time): what is found at night waits
in the notification log until 08:00 (``deliverable_kinds``).
"""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum


class NotificationKind(StrEnum):
    BILL_READY = "BILL_READY"
    DUE_SOON = "DUE_SOON"  # the due date is the member's ``days_before`` away
    PAST_DUE = "PAST_DUE"  # a due date passed with the bill unpaid
    PAYMENT_RECEIVED = "PAYMENT_RECEIVED"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    AUTOPAY_UPCOMING = "AUTOPAY_UPCOMING"
    AUTOPAY_DONE = "AUTOPAY_DONE"  # drafted (with its outcome), or not made
    OUTAGE_REPORTED = "OUTAGE_REPORTED"
    ETR_CHANGED = "ETR_CHANGED"  # a new estimated restoration time for an outage
    POWER_RESTORED = "POWER_RESTORED"
    USAGE_ALERT = "USAGE_ALERT"  # a day's kWh or estimated cost above the member's threshold


class NotificationChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


BILLING_KINDS = (NotificationKind.BILL_READY, NotificationKind.DUE_SOON, NotificationKind.PAST_DUE)
PAYMENT_KINDS = (NotificationKind.PAYMENT_RECEIVED, NotificationKind.PAYMENT_DECLINED)
AUTOPAY_KINDS = (NotificationKind.AUTOPAY_UPCOMING, NotificationKind.AUTOPAY_DONE)
OUTAGE_KINDS = (
    NotificationKind.OUTAGE_REPORTED,
    NotificationKind.ETR_CHANGED,
    NotificationKind.POWER_RESTORED,
)

DAY_STARTS = time(8)  # local: non-urgent news waits for this hour...
DAY_ENDS = time(20)  # ...and is held from this one on

DEFAULT_DAYS_BEFORE = 3
MAX_DAYS_BEFORE = 20


def deliverable_kinds(local: datetime) -> tuple[NotificationKind, ...]:
    """The kinds that may go out at the co-op's local time ``local``."""
    if DAY_STARTS <= local.time() < DAY_ENDS:
        return tuple(NotificationKind)
    return OUTAGE_KINDS
