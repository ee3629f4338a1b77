"""What each kind of news says: a headline (the e-mail's subject) and a sentence that names
the account and its service address, filled in from the facts the log keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from string import Template

from gateway.notifications.kinds import NotificationKind

_WORDING = {
    NotificationKind.BILL_READY: (
        "your bill for account $account is ready",
        "Your bill of $amount for account $account ($address) is ready; it is due $due_date.",
    ),
    NotificationKind.DUE_SOON: (
        "$amount due $due_date on account $account",
        "Account $account ($address) has $amount due on $due_date.",
    ),
    NotificationKind.PAST_DUE: (
        "account $account is past due",
        "Account $account ($address) is past due: $amount was due $due_date."
        " Please pay it to keep your service on.",
    ),
    NotificationKind.PAYMENT_RECEIVED: (
        "payment of $amount received for account $account",
        "A payment of $amount for account $account ($address) was received;"
        " confirmation $reference.",
    ),
    NotificationKind.PAYMENT_DECLINED: (
        "payment for account $account was not made",
        "A payment of $amount for account $account ($address) was not made: $reason."
        " Please pay another way (confirmation $reference).",
    ),
    NotificationKind.AUTOPAY_UPCOMING: (
        "automatic payment for account $account on $draft_on",
        "On $draft_on the balance of account $account ($address), $amount today, will be"
        " paid automatically.",
    ),
    NotificationKind.AUTOPAY_DONE: (
        "automatic payment for account $account",
        "The automatic payment for account $account ($address) $outcome.",
    ),
    NotificationKind.OUTAGE_REPORTED: (
        "power outage at account $account",
        "An outage affecting account $account ($address) was reported at $started. $estimate",
    ),
    NotificationKind.ETR_CHANGED: (
        "new restoration estimate for account $account",
        "Power at account $account ($address) is now expected back by $restoration.",
    ),
    NotificationKind.POWER_RESTORED: (
        "power restored at account $account",
        "Power is back on at account $account ($address) since $restored_at.",
    ),
    NotificationKind.USAGE_ALERT: (
        "account $account used $kwh kWh on $day",
        "Account $account ($address) used $usage on $day, above your alert at $threshold.",
    ),
}


@dataclass(frozen=True, slots=True)
class Wording:
    headline: str  # "power outage at account 90000103"
    text: str  # a sentence naming the account and its service address


def wording(kind: NotificationKind, facts: Mapping[str, str]) -> Wording:
    headline, text = _WORDING[kind]
    return Wording(Template(headline).substitute(facts), Template(text).substitute(facts))


def sms_text(cooperative: str, text: str) -> str:
    return f"{cooperative}: {text}"


def money_text(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def day_text(day: date) -> str:
    return day.strftime("%B %-d, %Y")
