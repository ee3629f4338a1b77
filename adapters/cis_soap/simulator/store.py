"""SQLite persistence of everything written to the simulator (stdlib ``sqlite3``).

Generated data is never stored: only payments applied, contact changes, trouble calls
and live outage events, so a restart on the same database file keeps them. Each batch
is written in one transaction. Calls are short and run inline on the event loop.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from adapters.cis_soap.simulator.outages import OutageState
from adapters.cis_soap.simulator.specs import Feeder
from adapters.records import (
    Address,
    CrewStatus,
    Customer,
    OutageReport,
    OutageStatus,
    Payment,
    PaymentChannel,
    TenderType,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS payments (
    external_reference TEXT PRIMARY KEY, payment_id TEXT NOT NULL UNIQUE,
    account_number TEXT NOT NULL, amount TEXT NOT NULL, tender_type TEXT NOT NULL,
    channel TEXT NOT NULL, posted_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contacts (customer_id TEXT PRIMARY KEY, customer TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outage_events (
    outage_event_id TEXT PRIMARY KEY, status TEXT NOT NULL, start_time TEXT NOT NULL,
    crew_status TEXT NOT NULL, is_planned INTEGER NOT NULL, sequence INTEGER NOT NULL,
    substation TEXT NOT NULL, feeder TEXT NOT NULL, locations TEXT NOT NULL,
    restored TEXT NOT NULL, cause TEXT, estimated_restoration TEXT, restored_at TEXT);
CREATE TABLE IF NOT EXISTS outage_reports (
    report_number INTEGER PRIMARY KEY AUTOINCREMENT, account_number TEXT NOT NULL,
    service_location_id TEXT NOT NULL, kind TEXT NOT NULL, reported_at TEXT NOT NULL,
    note TEXT, callback_phone TEXT, outage_event_id TEXT NOT NULL);
"""
_EVENT_COLUMNS = (
    "outage_event_id, status, start_time, crew_status, is_planned, sequence, substation, "
    "feeder, locations, restored, cause, estimated_restoration, restored_at"
)


class Store:
    def __init__(self, path: Path | str) -> None:
        self._connection = sqlite3.connect(path)
        self._connection.executescript(_SCHEMA)

    def close(self) -> None:
        self._connection.close()

    def claim(self, settings: dict[str, str]) -> None:
        """Record what generated this database, or refuse one generated differently:
        stored writes refer to generated accounts and events."""
        with self._connection:
            for name, value in settings.items():
                self._connection.execute(
                    "INSERT OR IGNORE INTO settings (name, value) VALUES (?, ?)", (name, value)
                )
        stored = dict(self._connection.execute("SELECT name, value FROM settings"))
        if stored != settings:
            raise ValueError(f"database was created by a simulator with {stored}, not {settings}")

    def payments(self) -> list[tuple[str, Payment]]:
        """Applied payments by external reference, in the order they were applied."""
        rows = self._connection.execute(
            "SELECT external_reference, payment_id, account_number, amount, tender_type, channel,"
            " posted_at FROM payments ORDER BY rowid"
        )
        return [
            (
                reference,
                Payment(
                    payment_id,
                    account,
                    Decimal(amount),
                    TenderType(tender),
                    PaymentChannel(channel),
                    datetime.fromisoformat(posted_at),
                    reference,
                ),
            )
            for reference, payment_id, account, amount, tender, channel, posted_at in rows
        ]

    def payment_count(self) -> int:
        (count,) = self._connection.execute("SELECT COUNT(*) FROM payments").fetchone()
        return int(count)

    def contacts(self) -> list[Customer]:
        rows = self._connection.execute("SELECT customer FROM contacts")
        return [_customer_from_json(text) for (text,) in rows]

    def outage_events(self) -> list[OutageState]:
        rows = self._connection.execute(
            f"SELECT {_EVENT_COLUMNS} FROM outage_events ORDER BY outage_event_id"  # noqa: S608
        )
        return [_event_from_row(row) for row in rows]

    def write(
        self,
        *,
        payments: Iterable[Payment] = (),
        contacts: Iterable[Customer] = (),
        events: Iterable[OutageState] = (),
        reports: Iterable[tuple[OutageReport, str]] = (),
    ) -> list[int]:
        """Write one batch atomically; returns the numbers given to the reports."""
        with self._connection:
            self._connection.executemany(
                "INSERT INTO payments (payment_id, account_number, amount, tender_type, channel,"
                " posted_at, external_reference) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        p.payment_id,
                        p.account_number,
                        str(p.amount),
                        p.tender_type.value,
                        p.channel.value,
                        p.posted_at.isoformat(),
                        p.external_reference,
                    )
                    for p in payments
                ],
            )
            self._connection.executemany(
                "INSERT OR REPLACE INTO contacts (customer_id, customer) VALUES (?, ?)",
                [(customer.customer_id, _customer_json(customer)) for customer in contacts],
            )
            self._connection.executemany(
                f"INSERT OR REPLACE INTO outage_events ({_EVENT_COLUMNS})"  # noqa: S608
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [_event_row(state) for state in events],
            )
            numbers = []
            for report, outage_event_id in reports:
                cursor = self._connection.execute(
                    "INSERT INTO outage_reports (account_number, service_location_id, kind,"
                    " reported_at, note, callback_phone, outage_event_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        report.account_number,
                        report.service_location_id,
                        report.kind.value,
                        report.reported_at.isoformat(),
                        report.note,
                        report.callback_phone,
                        outage_event_id,
                    ),
                )
                numbers.append(int(cursor.lastrowid or 0))
        return numbers


def _customer_json(customer: Customer) -> str:
    return json.dumps(dataclasses.asdict(customer))


def _customer_from_json(text: str) -> Customer:
    fields = json.loads(text)
    fields["billing_address"] = Address(**fields["billing_address"])
    return Customer(**fields)


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse_instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _event_row(state: OutageState) -> tuple[object, ...]:
    return (
        state.outage_event_id,
        state.status.value,
        state.start_time.isoformat(),
        state.crew_status.value,
        int(state.is_planned),
        state.sequence,
        state.feeder.substation,
        state.feeder.name,
        json.dumps(list(state.locations)),
        json.dumps(sorted(state.restored)),
        state.cause,
        _instant(state.estimated_restoration),
        _instant(state.restored_at),
    )


def _event_from_row(row: Any) -> OutageState:
    (
        event_id,
        status,
        start,
        crew,
        planned,
        sequence,
        substation,
        feeder,
        locations,
        restored,
        cause,
        restoration,
        restored_at,
    ) = row
    return OutageState(
        outage_event_id=event_id,
        status=OutageStatus(status),
        start_time=datetime.fromisoformat(start),
        crew_status=CrewStatus(crew),
        is_planned=bool(planned),
        sequence=sequence,
        feeder=Feeder(substation, feeder),
        locations=tuple(json.loads(locations)),
        restored=frozenset(json.loads(restored)),
        cause=cause,
        estimated_restoration=_parse_instant(restoration),
        restored_at=_parse_instant(restored_at),
    )
