"""A TOML table read with errors that name the file and the key: co-op files are written by
hand, and a mistake must say where it is."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_HOST_NAME = re.compile(r"[a-z0-9.-]+")
_CENT = Decimal("0.01")


class CooperativeError(ValueError):
    """A co-op file the gateway cannot use; the message names the file, the key and why."""


class TomlTable:
    """One TOML table, read with errors that say which file and key are wrong."""

    def __init__(self, data: Mapping[str, object], path: Path, where: str) -> None:
        self.data = data
        self.path = path
        self.where = where

    def error(self, key: str, why: str) -> CooperativeError:
        return CooperativeError(f"{self.path}: {self.where}{key}: {why}")

    def allow_only(self, *keys: str) -> None:
        for key in self.data:
            if key not in keys:
                raise self.error(key, f"unknown key; expected one of {', '.join(keys)}")

    def value(self, key: str) -> object:
        if key not in self.data:
            raise self.error(key, "missing")
        return self.data[key]

    def text(self, key: str) -> str:
        value = self.value(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "must be a non-empty string")
        return value.strip()

    def slug(self, key: str) -> str:
        value = self.text(key)
        if len(value) > 64 or not _SLUG.fullmatch(value):
            raise self.error(key, "must be lowercase letters, digits and single hyphens (<= 64)")
        return value

    def time_zone(self, key: str) -> ZoneInfo:
        name = self.text(key)
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.error(key, f"unknown time zone {name!r}") from None

    def lines(self, key: str) -> tuple[str, ...]:
        values = self.value(key)
        if not isinstance(values, list) or not _all_text(values):
            raise self.error(key, "must be a list of non-empty strings")
        return tuple(value.strip() for value in values)

    def host_names(self, key: str) -> tuple[str, ...]:
        names = self.lines(key)
        if not names or not all(_HOST_NAME.fullmatch(name.lower()) for name in names):
            raise self.error(key, "must list host names without scheme or port")
        return names

    def coordinate(self, key: str, limit: int) -> Decimal:
        value = self.value(key)
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise self.error(key, "must be a number of degrees")
        degrees = Decimal(value)
        if not -limit <= degrees <= limit:
            raise self.error(key, f"must be within -{limit} and {limit} degrees")
        return degrees

    def money(self, key: str) -> Decimal:
        """A dollar amount written as a string ("5000.00"), as floats would round it."""
        value = self.value(key)
        try:
            amount = Decimal(value) if isinstance(value, str) else None
            exact = amount is not None and amount >= 0 and amount == amount.quantize(_CENT)
        except ArithmeticError:  # not a number, or infinite
            amount, exact = None, False
        if amount is None or not exact:
            raise self.error(key, 'must be an amount of dollars as a string, like "5000.00"')
        return amount

    def boolean(self, key: str) -> bool:
        value = self.value(key)
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def table(self, key: str, *, required: bool = True) -> TomlTable:
        value = self.data.get(key, None if required else {})
        if not isinstance(value, dict):
            raise self.error(key, "missing table" if value is None else "must be a table")
        return TomlTable(value, self.path, f"{self.where}{key}.")

    def tables(self, key: str) -> list[TomlTable]:
        values = self.value(key)
        if not isinstance(values, list) or not all(isinstance(item, dict) for item in values):
            raise self.error(key, f"must be an array of tables ([[{key}]])")
        return [
            TomlTable(item, self.path, f"{self.where}{key}[{index}].")
            for index, item in enumerate(values)
        ]


def _all_text(values: Iterable[object]) -> bool:
    return all(isinstance(value, str) and value.strip() for value in values)
