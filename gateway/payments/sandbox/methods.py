"""Tokenizing cards and bank accounts, and the sandbox's test numbers.

A card number must pass the Luhn check (spaces and hyphens are ignored), with an expiry
not in the past and a CVC of 3 digits (4 for American Express). A bank account needs a
9-digit routing number that passes the ABA checksum (weights 3, 7, 1) and an account
number of 4 to 17 digits. What a charge with the token then does depends on the number:

=================================  ============================================
Card number                        Charge outcome
=================================  ============================================
``4242424242424242``               approved
``4000000000000002``               declined (DECLINED)
``4000000000009995``               declined (INSUFFICIENT_FUNDS)
``4000000000000069``               declined (EXPIRED), whatever expiry was given
``4000000000000119``               HTTP 502, nothing charged (a processor error)
``4000000000000259``               approved, answered after ``slow_seconds``
any other valid number             approved
=================================  ============================================

Bank accounts at routing number ``011000015``: account ``000123456789`` is approved,
``000111111116`` is declined for INSUFFICIENT_FUNDS. Any other valid account is approved.

Only what `MethodDetails` carries (last four digits, brand, expiry) and the outcome are
kept; messages of `InvalidMethod` never repeat the numbers.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from gateway.payments.processor import MethodDetails, MethodKind

CARD_APPROVE = "4242424242424242"
CARD_DECLINE = "4000000000000002"
CARD_INSUFFICIENT_FUNDS = "4000000000009995"
CARD_EXPIRED = "4000000000000069"
CARD_PROCESSOR_ERROR = "4000000000000119"
CARD_SLOW = "4000000000000259"

BANK_ROUTING = "011000015"
BANK_ACCOUNT_APPROVE = "000123456789"
BANK_ACCOUNT_INSUFFICIENT_FUNDS = "000111111116"
BANK_NAMES = {BANK_ROUTING: "SANDBOX TEST BANK"}

MAX_EXPIRY_YEARS = 50  # an expiry further ahead is a typo, not a card


class Outcome(StrEnum):
    """What charging a token does, as its test number dictates."""

    APPROVE = "APPROVE"
    DECLINE = "DECLINE"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    EXPIRED = "EXPIRED"
    PROCESSOR_ERROR = "PROCESSOR_ERROR"
    SLOW = "SLOW"


CARD_OUTCOMES = {
    CARD_APPROVE: Outcome.APPROVE,
    CARD_DECLINE: Outcome.DECLINE,
    CARD_INSUFFICIENT_FUNDS: Outcome.INSUFFICIENT_FUNDS,
    CARD_EXPIRED: Outcome.EXPIRED,
    CARD_PROCESSOR_ERROR: Outcome.PROCESSOR_ERROR,
    CARD_SLOW: Outcome.SLOW,
}
BANK_OUTCOMES = {
    (BANK_ROUTING, BANK_ACCOUNT_APPROVE): Outcome.APPROVE,
    (BANK_ROUTING, BANK_ACCOUNT_INSUFFICIENT_FUNDS): Outcome.INSUFFICIENT_FUNDS,
}

_CARD_NUMBER = re.compile(r"[0-9]{12,19}")
_ROUTING_NUMBER = re.compile(r"[0-9]{9}")
_ACCOUNT_NUMBER = re.compile(r"[0-9]{4,17}")
_CVC = re.compile(r"[0-9]{3,4}")


class InvalidMethod(ValueError):
    """A card or bank account the processor refuses to tokenize; the message is safe to
    show and to log (it never holds the number)."""


@dataclass(frozen=True, slots=True)
class StoredMethod:
    """A token as the processor keeps it: what it shows, and what charging it does."""

    details: MethodDetails
    outcome: Outcome


def new_token() -> str:
    return f"tok_{secrets.token_hex(12)}"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def aba_valid(routing_number: str) -> bool:
    """The ABA routing number checksum: weights 3, 7, 1 repeated, total a multiple of 10."""
    weights = (3, 7, 1) * 3
    return sum(w * int(d) for w, d in zip(weights, routing_number, strict=True)) % 10 == 0


def card_brand(digits: str) -> str | None:
    if digits.startswith("4"):
        return "VISA"
    if digits[:2] in ("34", "37"):
        return "AMEX"
    two, four = int(digits[:2]), int(digits[:4])
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "MASTERCARD"
    if digits.startswith(("6011", "65")) or 644 <= int(digits[:3]) <= 649:
        return "DISCOVER"
    return None


def card_method(
    number: str, expiry_month: int, expiry_year: int, cvc: str, *, today: date
) -> StoredMethod:
    """A new token for a card; raises `InvalidMethod` for a number that fails the Luhn
    check, an expiry in the past (or absurdly far ahead) or a malformed CVC."""
    digits = number.replace(" ", "").replace("-", "")
    if not _CARD_NUMBER.fullmatch(digits) or not luhn_valid(digits):
        raise InvalidMethod("the card number is not valid")
    if not 1 <= expiry_month <= 12:
        raise InvalidMethod("the expiry month must be 1 to 12")
    if 0 <= expiry_year < 100:
        expiry_year += 2000
    if (expiry_year, expiry_month) < (today.year, today.month):
        raise InvalidMethod("the card has expired")
    if expiry_year > today.year + MAX_EXPIRY_YEARS:
        raise InvalidMethod("the expiry year is not valid")
    brand = card_brand(digits)
    if not _CVC.fullmatch(cvc) or len(cvc) != (4 if brand == "AMEX" else 3):
        raise InvalidMethod("the security code (CVC) is not valid")
    details = MethodDetails(
        token=new_token(),
        kind=MethodKind.CARD,
        last4=digits[-4:],
        brand=brand,
        expiry_month=expiry_month,
        expiry_year=expiry_year,
    )
    return StoredMethod(details, CARD_OUTCOMES.get(digits, Outcome.APPROVE))


def bank_account_method(routing_number: str, account_number: str) -> StoredMethod:
    """A new token for a bank account; raises `InvalidMethod` for a routing number that
    fails the ABA checksum or an account number that is not 4 to 17 digits."""
    if not _ROUTING_NUMBER.fullmatch(routing_number) or not aba_valid(routing_number):
        raise InvalidMethod("the routing number is not valid")
    if not _ACCOUNT_NUMBER.fullmatch(account_number):
        raise InvalidMethod("the account number must be 4 to 17 digits")
    details = MethodDetails(
        token=new_token(),
        kind=MethodKind.BANK_ACCOUNT,
        last4=account_number[-4:],
        bank_name=BANK_NAMES.get(routing_number),
    )
    outcome = BANK_OUTCOMES.get((routing_number, account_number), Outcome.APPROVE)
    return StoredMethod(details, outcome)
