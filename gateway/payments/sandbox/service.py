"""What the sandbox processor does, apart from HTTP: tokens, charges once per reference,
refunds, and the failures it injects.

A charge with a token the sandbox never issued is recorded as DECLINED (INVALID_METHOD),
as a real processor answers. A repeat of a reference answers the recorded charge without
charging again (nor waiting for the slow test card); the same reference with another
token or amount is a `ChargeConflict`. Charges are decided and recorded under one lock,
so concurrent requests with one reference make one ledger entry.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from gateway.payments.processor import (
    Charge,
    ChargeStatus,
    DeclineReason,
    MethodDetails,
    MethodKind,
)
from gateway.payments.sandbox.faults import Faults
from gateway.payments.sandbox.ledger import Ledger, LedgerEntry, LedgerStats
from gateway.payments.sandbox.methods import (
    Outcome,
    StoredMethod,
    bank_account_method,
    card_method,
)
from gateway.payments.sandbox.wire import MAX_REFERENCE_LENGTH, valid_reference
from gateway.payments.settings import CENT

MAX_AMOUNT = Decimal("999999.99")
_AMOUNT = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")


_DECLINES = {
    Outcome.DECLINE: DeclineReason.DECLINED,
    Outcome.INSUFFICIENT_FUNDS: DeclineReason.INSUFFICIENT_FUNDS,
    Outcome.EXPIRED: DeclineReason.EXPIRED,
}
_MESSAGES = {
    (MethodKind.CARD, DeclineReason.DECLINED): "Your card was declined.",
    (MethodKind.CARD, DeclineReason.INSUFFICIENT_FUNDS): "Your card has insufficient funds.",
    (MethodKind.CARD, DeclineReason.EXPIRED): "Your card has expired.",
    (MethodKind.BANK_ACCOUNT, DeclineReason.DECLINED): "Your bank declined the payment.",
    (MethodKind.BANK_ACCOUNT, DeclineReason.INSUFFICIENT_FUNDS): (
        "The bank account has insufficient funds."
    ),
}
_INVALID_METHOD_MESSAGE = "This payment method cannot be used."


class InvalidRequest(ValueError):
    """A request the sandbox refuses as it stands (HTTP 400)."""


class NotFound(LookupError):
    """No such token or charge (HTTP 404)."""


class ChargeConflict(Exception):
    """The request contradicts the recorded charge of its reference (HTTP 409)."""


class ProcessorFailure(Exception):
    """The processor fails this request (HTTP 502); ``charged`` says whether the charge was
    made all the same, which the client cannot know."""

    def __init__(self, message: str, *, charged: bool) -> None:
        super().__init__(message)
        self.charged = charged


def parse_amount(text: str) -> Decimal:
    """A charge amount: a decimal string above zero, with at most two decimals."""
    if not _AMOUNT.fullmatch(text):
        raise InvalidRequest("amount must be a decimal string with at most 2 decimals")
    amount = Decimal(text).quantize(CENT)
    if not Decimal(0) < amount <= MAX_AMOUNT:
        raise InvalidRequest(f"amount must be above 0 and at most {MAX_AMOUNT}")
    return amount


def check_reference(reference: str) -> str:
    if not valid_reference(reference):
        raise InvalidRequest(
            f"reference must be 1 to {MAX_REFERENCE_LENGTH} printable ASCII characters,"
            " without spaces or slashes"
        )
    return reference


def _decide(reference: str, amount: Decimal, method: StoredMethod | None, now: datetime) -> Charge:
    charge_id = f"ch_{secrets.token_hex(12)}"
    if method is None:
        reason: DeclineReason | None = DeclineReason.INVALID_METHOD
        message: str | None = _INVALID_METHOD_MESSAGE
    else:
        reason = _DECLINES.get(method.outcome)
        message = _MESSAGES.get((method.details.kind, reason)) if reason is not None else None
    status = ChargeStatus.APPROVED if reason is None else ChargeStatus.DECLINED
    return Charge(reference, charge_id, amount, status, now, reason, message)


class SandboxService:
    def __init__(
        self, ledger: Ledger, faults: Faults, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.ledger = ledger
        self.faults = faults
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = asyncio.Lock()  # one decision at a time: one charge per reference

    def tokenize_card(
        self, number: str, expiry_month: int, expiry_year: int, cvc: str
    ) -> MethodDetails:
        method = card_method(number, expiry_month, expiry_year, cvc, today=self._clock().date())
        self.ledger.add_method(method)
        return method.details

    def tokenize_bank_account(self, routing_number: str, account_number: str) -> MethodDetails:
        method = bank_account_method(routing_number, account_number)
        self.ledger.add_method(method)
        return method.details

    def describe(self, token: str) -> MethodDetails:
        method = self.ledger.method(token)
        if method is None:
            raise NotFound("no such token")
        return method.details

    async def charge(self, reference: str, token: str, amount: Decimal) -> Charge:
        if self.faults.fail_before():
            raise ProcessorFailure(
                "the processor is unavailable; nothing was charged", charged=False
            )
        async with self._lock:
            entry = self.ledger.find(reference)
            if entry is not None:
                if entry.token != token or entry.charge.amount != amount:
                    raise ChargeConflict(
                        "a charge with this reference was made with another token or amount"
                    )
                charge, slow = entry.charge, False
            else:
                method = self.ledger.method(token)
                if method is not None and method.outcome is Outcome.PROCESSOR_ERROR:
                    raise ProcessorFailure(
                        "the processor could not process the charge; nothing was charged",
                        charged=False,
                    )
                charge = _decide(reference, amount, method, self._clock())
                self.ledger.add_charge(LedgerEntry(charge, token))
                slow = method is not None and method.outcome is Outcome.SLOW
        if slow:
            await asyncio.sleep(self.faults.slow_seconds)
        if self.faults.fail_after_charge():
            raise ProcessorFailure("the processor failed to answer", charged=True)
        return charge

    def find(self, reference: str) -> Charge:
        entry = self.ledger.find(reference)
        if entry is None:
            raise NotFound("no charge with this reference")
        return entry.charge

    async def refund(self, reference: str) -> Charge:
        if self.faults.fail_before():
            raise ProcessorFailure(
                "the processor is unavailable; nothing was refunded", charged=False
            )
        async with self._lock:
            charge = self.find(reference)
            if charge.status is ChargeStatus.DECLINED:
                raise ChargeConflict("a declined charge cannot be refunded")
            if charge.status is ChargeStatus.APPROVED:
                self.ledger.mark_refunded(reference, self._clock())
                charge = self.find(reference)
            return charge

    def charges(self) -> list[Charge]:
        return [entry.charge for entry in self.ledger.entries()]

    def stats(self) -> LedgerStats:
        return self.ledger.stats()
