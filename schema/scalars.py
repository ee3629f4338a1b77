"""Scalars: money as exact decimal strings, instants with their offset.

``Money`` is never a float: it is sent as a decimal string with two places ("1234.50"),
rounded half up when a value (an estimate, say) has more. ``DateTime`` refuses instants
without an offset both ways; types convert instants to the co-op's zone when they are built.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

Money = NewType("Money", Decimal)

_CENT = Decimal("0.01")


def money(value: Decimal) -> Money:
    """``value`` rounded to cents, half up."""
    return Money(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _serialize_money(value: Decimal) -> str:
    return format(money(value), "f")


def _parse_money(value: object) -> Money:
    if not isinstance(value, str):
        raise ValueError('Money is a decimal string such as "12.50"')
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal amount") from None
    if not amount.is_finite() or amount != amount.quantize(_CENT):
        raise ValueError(f"{value!r} is not an amount in cents")
    return Money(amount)


def _serialize_datetime(value: datetime) -> str:
    if value.utcoffset() is None:
        raise ValueError("a DateTime without an offset")
    return value.isoformat()


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime is an ISO 8601 string with an offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from None
    if parsed.utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset")
    return parsed


SCALARS: dict[object, ScalarDefinition] = {
    Money: strawberry.scalar(
        name="Money",
        description=(
            'An amount of US dollars as a decimal string with two places, e.g. "1234.50";'
            " negative for a credit. Never a float."
        ),
        serialize=_serialize_money,
        parse_value=_parse_money,
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        description=(
            'An instant as ISO 8601 with its UTC offset, e.g. "2025-07-04T13:05:00-05:00";'
            " rendered in the co-op's time zone."
        ),
        serialize=_serialize_datetime,
        parse_value=_parse_datetime,
    ),
}
