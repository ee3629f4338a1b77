"""The sandbox processor's books: the tokens it issued and the charges it made.

One SQLite database (stdlib ``sqlite3``), in memory by default or in a file so a restart
keeps it. A token row holds only what `MethodDetails` carries and the outcome its test
number dictates; a charge row is a `Charge` plus the token it was made with. Calls are
tiny and run inline on the event loop, one writer at a time (the service's lock).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from gateway.payments.processor import (
    Charge,
    ChargeStatus,
    DeclineReason,
    MethodDetails,
    MethodKind,
)
from gateway.payments.sandbox.methods import Outcome, StoredMethod

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, last4 TEXT NOT NULL, brand TEXT,
    expiry_month INTEGER, expiry_year INTEGER, bank_name TEXT, outcome TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS charges (
    reference TEXT PRIMARY KEY, charge_id TEXT NOT NULL UNIQUE, token TEXT NOT NULL,
    amount TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
    decline_reason TEXT, decline_message TEXT, refunded_at TEXT);
"""
_CHARGE_COLUMNS = (
    "reference, charge_id, token, amount, status, created_at, decline_reason, decline_message"
)
_ChargeRow = tuple[str, str, str, str, str, str, str | None, str | None]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A charge as the ledger keeps it: the charge, and the token it was made with."""

    charge: Charge
    token: str


@dataclass(frozen=True, slots=True)
class LedgerStats:
    charges: int
    approved: int
    declined: int
    refunded: int
    total_approved: Decimal  # charges still approved (refunds taken out)
    total_refunded: Decimal

    def as_json(self) -> dict[str, object]:
        return {
            "charges": self.charges,
            "approved": self.approved,
            "declined": self.declined,
            "refunded": self.refunded,
            "total_approved": str(self.total_approved),
            "total_refunded": str(self.total_refunded),
        }


def _entry(row: _ChargeRow) -> LedgerEntry:
    reference, charge_id, token, amount, status, created_at, reason, message = row
    charge = Charge(
        reference=reference,
        charge_id=charge_id,
        amount=Decimal(amount),
        status=ChargeStatus(status),
        created_at=datetime.fromisoformat(created_at),
        decline_reason=DeclineReason(reason) if reason is not None else None,
        decline_message=message,
    )
    return LedgerEntry(charge, token)


class Ledger:
    def __init__(self, path: Path | str = ":memory:") -> None:
        # Made in one thread and used in the server's: only ever one at a time.
        self._connection = sqlite3.connect(path, check_same_thread=False)
        self._connection.executescript(_SCHEMA)

    def close(self) -> None:
        self._connection.close()

    def add_method(self, method: StoredMethod) -> None:
        d = method.details
        with self._connection:
            self._connection.execute(
                "INSERT INTO tokens (token, kind, last4, brand, expiry_month, expiry_year,"
                " bank_name, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    d.token,
                    d.kind.value,
                    d.last4,
                    d.brand,
                    d.expiry_month,
                    d.expiry_year,
                    d.bank_name,
                    method.outcome.value,
                ),
            )

    def method(self, token: str) -> StoredMethod | None:
        row = self._connection.execute(
            "SELECT kind, last4, brand, expiry_month, expiry_year, bank_name, outcome"
            " FROM tokens WHERE token = ?",
            (token,),
        ).fetchone()
        if row is None:
            return None
        kind, last4, brand, month, year, bank_name, outcome = row
        details = MethodDetails(token, MethodKind(kind), last4, brand, month, year, bank_name)
        return StoredMethod(details, Outcome(outcome))

    def find(self, reference: str) -> LedgerEntry | None:
        row = self._connection.execute(
            f"SELECT {_CHARGE_COLUMNS} FROM charges WHERE reference = ?",  # noqa: S608
            (reference,),
        ).fetchone()
        return None if row is None else _entry(row)

    def add_charge(self, entry: LedgerEntry) -> None:
        c = entry.charge
        with self._connection:
            self._connection.execute(
                f"INSERT INTO charges ({_CHARGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (
                    c.reference,
                    c.charge_id,
                    entry.token,
                    str(c.amount),
                    c.status.value,
                    c.created_at.isoformat(),
                    c.decline_reason.value if c.decline_reason is not None else None,
                    c.decline_message,
                ),
            )

    def mark_refunded(self, reference: str, refunded_at: datetime) -> None:
        with self._connection:
            self._connection.execute(
                "UPDATE charges SET status = ?, refunded_at = ? WHERE reference = ?",
                (ChargeStatus.REFUNDED.value, refunded_at.isoformat(), reference),
            )

    def entries(self) -> list[LedgerEntry]:
        """Every charge, oldest first."""
        rows = self._connection.execute(
            f"SELECT {_CHARGE_COLUMNS} FROM charges ORDER BY rowid"  # noqa: S608
        )
        return [_entry(row) for row in rows]

    def stats(self) -> LedgerStats:
        counts = {status: 0 for status in ChargeStatus}
        totals = {status: Decimal("0.00") for status in ChargeStatus}
        for entry in self.entries():
            counts[entry.charge.status] += 1
            totals[entry.charge.status] += entry.charge.amount
        return LedgerStats(
            charges=sum(counts.values()),
            approved=counts[ChargeStatus.APPROVED],
            declined=counts[ChargeStatus.DECLINED],
            refunded=counts[ChargeStatus.REFUNDED],
            total_approved=totals[ChargeStatus.APPROVED],
            total_refunded=totals[ChargeStatus.REFUNDED],
        )
