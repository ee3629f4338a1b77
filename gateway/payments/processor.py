"""The contract between coop-gateway and a payment processor, and its records.

Members' apps tokenize a card or bank account with the processor directly (as with a hosted
payment field), so card and account numbers never reach the gateway: it sees a token and
what `describe` tells of it (kind, brand, last four digits, expiry). A charge carries our
own reference, and the processor keeps one charge per reference: asking again with the same
reference answers the first charge instead of charging twice, which is what lets the
gateway retry after a timeout, and recover after a crash with `find_charge`.

``tokenize_card`` and ``tokenize_bank_account`` are what a client does against the processor;
the gateway never calls them (the demo and the tests do, playing the client).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class MethodKind(StrEnum):
    CARD = "CARD"
    BANK_ACCOUNT = "BANK_ACCOUNT"


class ChargeStatus(StrEnum):
    APPROVED = "APPROVED"  # the money is the co-op's (for ACH: accepted for settlement)
    DECLINED = "DECLINED"  # nothing was charged
    REFUNDED = "REFUNDED"  # approved, then given back in full


class DeclineReason(StrEnum):
    DECLINED = "DECLINED"  # the issuer said no, without a reason
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    EXPIRED = "EXPIRED"
    INVALID_METHOD = "INVALID_METHOD"  # unknown or unusable token, closed bank account


@dataclass(frozen=True, slots=True)
class MethodDetails:
    """What the processor tells of a token: enough to show it, never enough to use it."""

    token: str
    kind: MethodKind
    last4: str
    brand: str | None = None  # cards: VISA, MASTERCARD, AMEX, DISCOVER
    expiry_month: int | None = None  # cards only
    expiry_year: int | None = None
    bank_name: str | None = None  # bank accounts, when the processor knows it


@dataclass(frozen=True, slots=True)
class Charge:
    reference: str  # ours: one charge per reference, ever
    charge_id: str  # the processor's
    amount: Decimal
    status: ChargeStatus
    created_at: datetime
    decline_reason: DeclineReason | None = None
    decline_message: str | None = None  # the processor's words, fit to show the member


class ProcessorUnavailable(Exception):
    """The processor did not answer, or answered with an error: whether a charge was made
    is unknown until `find_charge` says."""


class PaymentProcessor(Protocol):
    async def tokenize_card(
        self, number: str, expiry_month: int, expiry_year: int, cvc: str
    ) -> MethodDetails:
        """Raises ValueError for a number that fails the Luhn check or an expiry in the past."""

    async def tokenize_bank_account(
        self, routing_number: str, account_number: str
    ) -> MethodDetails:
        """Raises ValueError for a routing number that fails the ABA checksum."""

    async def describe(self, token: str) -> MethodDetails | None:
        """The method behind a token; None for a token the processor never issued."""

    async def charge(self, reference: str, token: str, amount: Decimal) -> Charge:
        """Charges ``amount`` once per ``reference``: a repeat answers the first charge."""

    async def find_charge(self, reference: str) -> Charge | None:
        """The charge made with ``reference``; None when there is none."""

    async def refund(self, reference: str) -> Charge:
        """Gives an approved charge back in full (a void before settlement); idempotent.
        Raises ValueError when the processor will not (no such charge, a declined one)."""

    async def charges(self) -> tuple[Charge, ...]:
        """Every charge of this merchant, oldest first: the processor's ledger, to reconcile."""

    async def aclose(self) -> None: ...
