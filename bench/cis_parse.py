"""How fast the SOAP adapter reads GetAccountsByAccountNumbers answers, against zeep.

    .venv/bin/python bench/cis_parse.py [--repeat N]

Answers of 50, 1,000 and 5,000 accounts are written exactly as the simulator writes them
(its envelope, ``xmlmap``'s serializer), then parsed from bytes both ways:

- ours: the adapter's path (safe lxml parse, envelope checks, ``xmlmap`` record parsers);
- zeep: zeep's binding (``process_reply``), alone and then converted to the same records.

Both ways must give identical records; times are the best of several runs, each run with
the garbage collector on (as in service: each side pays for its own collections) after a
full collection.
"""

from __future__ import annotations

import argparse
import functools
import gc
import random
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from adapters.cis_soap import envelope, operations
from adapters.cis_soap.simulator.soap import response_envelope, serialize
from adapters.cis_soap.xmlmap import append_record
from adapters.cis_soap.zeep_parse import ZeepParser
from adapters.records import Account, AccountStatus, Balance

SIZES = (50, 1_000, 5_000)
OPERATION = operations.BATCH_READS["GetAccountsByAccountNumbers"]


def money(rng: random.Random, high: int) -> Decimal:
    return Decimal(rng.randrange(high * 100)) / 100


def accounts(count: int, seed: int = 1) -> list[Account]:
    """Varied accounts: every status, optional fields present or not, 0-3 locations."""
    rng = random.Random(seed)
    statuses = list(AccountStatus)
    made = []
    for index in range(count):
        current, past_30 = money(rng, 400), money(rng, 50) if index % 4 == 0 else Decimal("0.00")
        day = date(2024, 1, 1) + timedelta(days=rng.randrange(365))
        paid = index % 5 != 0
        made.append(
            Account(
                account_number=f"{100_000 + index}",
                customer_id=f"C{index // 2:07d}",
                account_status=statuses[index % len(statuses)],
                billing_cycle=f"{index % 20 + 1:02d}",
                budget_bill=index % 3 == 0,
                is_pre_pay=index % 11 == 0,
                balance=Balance(
                    current, past_30, Decimal("0.00"), Decimal("0.00"), current + past_30
                ),
                payment_due_date=day + timedelta(days=21),
                last_payment_date=day - timedelta(days=9) if paid else None,
                last_payment_amount=money(rng, 300) if paid else None,
                last_bill_date=day,
                last_bill_amount=money(rng, 400),
                shut_off_date=day + timedelta(days=40) if index % 17 == 0 else None,
                service_location_ids=tuple(f"SL{index}-{n}" for n in range(index % 4)),
            )
        )
    return made


def answer(rows: list[Account]) -> bytes:
    message, response = response_envelope(OPERATION.name)
    for row in rows:
        append_record(response, OPERATION.row, row)
    return serialize(message)


def ours(content: bytes) -> dict[str, object]:
    return envelope.read_rows(OPERATION, envelope.response_element(content, 200, OPERATION.name))


def best_time(run: Callable[[], object], repeat: int) -> float:
    """Seconds of the fastest of ``repeat`` runs (garbage collected before each; freeing the
    result is not timed)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
        del result
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement")
    repeat = parser.parse_args().repeat
    zeep = ZeepParser()
    header = (
        f"{'rows':>6} {'KiB':>6} | {'ours ms':>8} {'rows/s':>9} | {'zeep obj ms':>11} "
        f"{'zeep rec ms':>11} {'rows/s':>9} | {'x obj':>6} {'x rec':>6}"
    )
    print(header)
    print("-" * len(header))
    for size in SIZES:
        content = answer(accounts(size))
        expected = ours(content)
        converted = zeep.read_rows(OPERATION.name, content)
        if repr(expected) != repr(converted) or len(expected) != size:
            raise SystemExit(f"our records differ from zeep's at {size} rows")
        runs = max(repeat, 2_000 // size)  # small answers are cheap: more runs, less noise
        mine = best_time(functools.partial(ours, content), runs)
        zeep_objects = best_time(functools.partial(zeep.reply, OPERATION.name, content), runs)
        zeep_records = best_time(functools.partial(zeep.read_rows, OPERATION.name, content), runs)
        print(
            f"{size:>6} {len(content) / 1024:>6.0f} | {mine * 1e3:>8.2f} {size / mine:>9,.0f} | ",
            f"{zeep_objects * 1e3:>11.2f} {zeep_records * 1e3:>11.2f} {size / zeep_records:>9,.0f}",
            f" | {zeep_objects / mine:>5.1f}x {zeep_records / mine:>5.1f}x",
            sep="",
        )
    print(
        "\nx obj: zeep building its objects only, over ours; "
        "x rec: zeep's objects converted to our records, over ours."
    )


if __name__ == "__main__":
    main()
