"""A member's payment request: checked, quoted, recorded once per idempotency key, then
taken through its steps (``gateway.payments.steps``).

The record is written before the processor is asked for anything, unique per member and
idempotency key: the same request again finds it and charges nothing; the same key with
another request is refused as a conflict.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from adapters.records import Account, AccountStatus, PaymentChannel
from gateway.auth.sessions import Principal
from gateway.context import Services
from gateway.payments.processor import MethodKind
from gateway.payments.settings import CENT, PaymentSettings
from gateway.payments.steps import LEASE, advance
from gateway.store.models import utc_now
from gateway.store.payments import Payment, PaymentAllocation, PaymentState

MAX_ALLOCATIONS = 100
MAX_IDEMPOTENCY_KEY_LENGTH = 100  # the column's length
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # read over the phone: no 0/O, 1/I
REFERENCE_PREFIX = "CP-"  # every payment reference the gateway makes starts so


class PaymentRefused(ValueError):
    """The request cannot be paid as asked; the message says why, for the member."""


class IdempotencyConflict(ValueError):
    """The idempotency key was used before for another request."""


@dataclass(frozen=True, slots=True)
class Allocation:
    account_number: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Method:
    """What pays: a processor token and how members see it."""

    token: str
    kind: MethodKind
    description: str  # "VISA ending in 4242"


@dataclass(frozen=True, slots=True)
class Quote:
    allocations: tuple[Allocation, ...]
    amount: Decimal  # applied to the accounts
    fee: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount + self.fee


def quote(
    settings: PaymentSettings,
    principal: Principal,
    allocations: Sequence[Allocation],
    accounts: Mapping[str, Account | None],
    pending: Mapping[str, Decimal],
    method_kind: MethodKind,
) -> Quote:
    """Checks the allocations against the co-op's rules and the CIS's accounts (``accounts``
    by number, with ``pending``: paid here, not applied yet) and prices them; raises
    `PaymentRefused`."""
    if not allocations:
        raise PaymentRefused("choose at least one account to pay")
    if len(allocations) > MAX_ALLOCATIONS:
        raise PaymentRefused(f"one payment covers at most {MAX_ALLOCATIONS} accounts")
    numbers = [allocation.account_number for allocation in allocations]
    if len(set(numbers)) != len(numbers):
        raise PaymentRefused("each account may appear once in a payment")
    for allocation in allocations:
        number = allocation.account_number
        account = accounts.get(number)
        _check_allocation(settings, principal, allocation, account, pending.get(number, Decimal(0)))
    amount = sum((allocation.amount for allocation in allocations), Decimal("0.00"))
    if amount > settings.max_payment:
        raise PaymentRefused(f"one payment may be at most ${settings.max_payment}")
    return Quote(tuple(allocations), amount, settings.fee(method_kind, amount))


def _check_allocation(
    settings: PaymentSettings,
    principal: Principal,
    allocation: Allocation,
    account: Account | None,
    pending: Decimal,
) -> None:
    number, amount = allocation.account_number, allocation.amount
    # Only the member's own accounts, and another's reads exactly like a missing one.
    if number not in principal.account_numbers or account is None:
        raise PaymentRefused(f"no account {number}")
    if account.account_status is AccountStatus.CLOSED:
        raise PaymentRefused(f"account {number} is closed")
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise PaymentRefused(f"the amount for account {number} must be above zero, in cents")
    # Payments made here and not applied yet count: the CIS's balance does not show them.
    owed = max(account.balance.total - pending, Decimal("0.00"))
    if not settings.allow_overpayment and amount > owed:
        raise PaymentRefused(f"account {number} owes ${owed}: pay at most that")


@dataclass(frozen=True, slots=True)
class Asked:
    """A payment request as the member sent it: what its idempotency key stands for."""

    idempotency_key: str
    fingerprint: str  # a hash of the request's own arguments


def asked(idempotency_key: str, *arguments: object) -> Asked:
    """The request's key and a fingerprint of its ``arguments`` (JSON-able, in a fixed
    order): the same request sent again has the same fingerprint, whatever changed since."""
    key = idempotency_key.strip()
    if not 8 <= len(key) <= MAX_IDEMPOTENCY_KEY_LENGTH:
        raise PaymentRefused(
            f"idempotencyKey needs 8 to {MAX_IDEMPOTENCY_KEY_LENGTH} characters (a UUID will do)"
        )
    text = json.dumps(arguments, sort_keys=True, default=str)
    return Asked(key, hashlib.sha256(text.encode()).hexdigest())


async def earlier_payment(
    services: Services, principal: Principal, request: Asked
) -> Payment | None:
    """The payment first made with this key, if any; `IdempotencyConflict` when that was
    another request. Looked up before anything is checked or charged, so a repeat answers
    the first payment even after balances, methods or the processor changed."""
    async with services.db() as session:
        earlier = await session.scalar(
            select(Payment).where(
                Payment.cooperative_id == principal.cooperative_id,
                Payment.user_id == principal.user_id,
                Payment.idempotency_key == request.idempotency_key,
            )
        )
    if earlier is not None and earlier.request_hash != request.fingerprint:
        raise IdempotencyConflict("this idempotencyKey was used for another payment")
    return earlier


async def make_payment(
    services: Services,
    principal: Principal,
    request: Asked,
    method: Method,
    priced: Quote,
    channel: PaymentChannel,
) -> Payment:
    """Records the payment and takes it as far as it goes now: posted, declined, or pending
    for the worker to finish. Once recorded, any failure answers it as pending: it may have
    been charged, and the worker finds out."""
    reference = new_reference()
    now = utc_now()
    payment = Payment(
        cooperative_id=principal.cooperative_id,
        user_id=principal.user_id,
        idempotency_key=request.idempotency_key,
        request_hash=request.fingerprint,
        reference=reference,
        method_token=method.token,
        method_kind=method.kind,
        method_description=method.description,
        channel=channel.value,
        amount=priced.amount,
        fee=priced.fee,
        state=PaymentState.RECORDED,
        created_at=now,
        updated_at=now,
        # The worker leaves it to this request unless the request's process dies.
        next_attempt_at=now + LEASE,
        leased_until=now + LEASE,
        allocations=[
            PaymentAllocation(
                position=position,
                account_number=allocation.account_number,
                amount=allocation.amount,
                external_reference=f"{reference}-{position}",
            )
            for position, allocation in enumerate(priced.allocations, start=1)
        ],
    )
    try:
        async with services.db.begin() as session:
            session.add(payment)
    except IntegrityError:  # the same key, recorded by a concurrent request
        earlier = await earlier_payment(services, principal, request)
        if earlier is None:  # the reference was drawn twice: practically never
            raise
        return earlier
    return await advance(services, payment.id)


def new_reference() -> str:
    """A confirmation number like ``CP-7K3M-9QX2-AB4D``: 60 bits, easy to read out."""
    groups = ("".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(4)) for _ in range(3))
    return REFERENCE_PREFIX + "-".join(groups)
