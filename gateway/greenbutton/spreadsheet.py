"""The same intervals as the Green Button feed, as CSV for spreadsheets.

A header, then one row per interval, oldest first (RFC 4180: comma-separated, CRLF):

``start``, ``end``
    the interval, local ISO 8601 with its offset (the two 1 a.m. hours of the day daylight
    saving ends differ by their offsets);
``kwh_delivered``, ``kwh_received``, ``kwh_net``
    energy from the co-op, energy sent back (net-metered generation), delivered minus
    received, as plain decimals;
``quality``
    ``ACTUAL``, ``ESTIMATED`` or ``MISSING`` (the worst reading in the sum);
``estimated_cost``
    dollars to the cent as ``Account.usage`` estimates it; empty without a rate schedule.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Sequence

from gateway.greenbutton.usage_slices import Slice
from resolvers.usage import UsageRow
from schema.scalars import money

HEADER = (
    "start",
    "end",
    "kwh_delivered",
    "kwh_received",
    "kwh_net",
    "quality",
    "estimated_cost",
)


async def csv_table(slices: AsyncIterator[Slice]) -> AsyncIterator[bytes]:
    """The table, a month of rows per chunk."""
    yield _lines([HEADER])
    async for part in slices:
        yield _lines(_cells(row) for row in part.rows)


def _lines(rows: Iterable[Sequence[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode()


def _cells(row: UsageRow) -> tuple[str, ...]:
    cost = "" if row.estimated_cost is None else format(money(row.estimated_cost), "f")
    return (
        row.start.isoformat(),
        row.end.isoformat(),
        format(row.kwh_delivered, "f"),
        format(row.kwh_received, "f"),
        format(row.net, "f"),
        row.quality.name,
        cost,
    )
