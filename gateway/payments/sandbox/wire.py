"""The JSON form of `MethodDetails` and `Charge`, as the sandbox answers and its client reads.

Amounts are decimal strings (``"12.50"``), times ISO 8601 in UTC, enums their names.
The ``*_from_json`` readers raise `MalformedAnswer` for anything else. References are
what `valid_reference` accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from gateway.payments.processor import (
    Charge,
    ChargeStatus,
    DeclineReason,
    MethodDetails,
    MethodKind,
)

_T = TypeVar("_T")

MAX_REFERENCE_LENGTH = 100


class MalformedAnswer(ValueError):
    """JSON that is not the sandbox's form of a record."""


def valid_reference(reference: str) -> bool:
    """Whether the sandbox takes ``reference`` for a charge: 1 to 100 printable ASCII
    characters, without spaces or slashes (it is also a path segment)."""
    return (
        0 < len(reference) <= MAX_REFERENCE_LENGTH
        and reference.isascii()
        and reference.isprintable()
        and " " not in reference
        and "/" not in reference
    )


def method_to_json(details: MethodDetails) -> dict[str, object]:
    return {
        "token": details.token,
        "kind": details.kind.value,
        "last4": details.last4,
        "brand": details.brand,
        "expiry_month": details.expiry_month,
        "expiry_year": details.expiry_year,
        "bank_name": details.bank_name,
    }


def charge_to_json(charge: Charge) -> dict[str, object]:
    return {
        "reference": charge.reference,
        "charge_id": charge.charge_id,
        "amount": str(charge.amount),
        "status": charge.status.value,
        "created_at": charge.created_at.isoformat(),
        "decline_reason": charge.decline_reason.value if charge.decline_reason else None,
        "decline_message": charge.decline_message,
    }


def _field(data: Mapping[str, Any], name: str, kind: type[_T]) -> _T:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedAnswer(f"{name} is not a {kind.__name__}")
    return value


def _optional(data: Mapping[str, Any], name: str, kind: type[_T]) -> _T | None:
    return None if data.get(name) is None else _field(data, name, kind)


def _object(data: object) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise MalformedAnswer("not a JSON object")
    return data


def method_from_json(data: object) -> MethodDetails:
    fields = _object(data)
    try:
        kind = MethodKind(_field(fields, "kind", str))
    except ValueError:
        raise MalformedAnswer("kind is not a method kind") from None
    return MethodDetails(
        token=_field(fields, "token", str),
        kind=kind,
        last4=_field(fields, "last4", str),
        brand=_optional(fields, "brand", str),
        expiry_month=_optional(fields, "expiry_month", int),
        expiry_year=_optional(fields, "expiry_year", int),
        bank_name=_optional(fields, "bank_name", str),
    )


def charge_from_json(data: object) -> Charge:
    fields = _object(data)
    reason = _optional(fields, "decline_reason", str)
    try:
        created_at = datetime.fromisoformat(_field(fields, "created_at", str))
        status = ChargeStatus(_field(fields, "status", str))
        decline_reason = DeclineReason(reason) if reason is not None else None
        amount = Decimal(_field(fields, "amount", str))
    except (ValueError, InvalidOperation):  # MalformedAnswer among them
        raise MalformedAnswer("a charge field is not valid") from None
    if created_at.tzinfo is None or not amount.is_finite():
        raise MalformedAnswer("a charge field is not valid")
    return Charge(
        reference=_field(fields, "reference", str),
        charge_id=_field(fields, "charge_id", str),
        amount=amount,
        status=status,
        created_at=created_at,
        decline_reason=decline_reason,
        decline_message=_optional(fields, "decline_message", str),
    )
