"""The payment commands of ``coop-gateway``: the sandbox processor, the worker, reconciling
the ledgers, and settling a payment the CIS refused in part."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from gateway.cli_common import cooperative_of, cooperatives_of

if TYPE_CHECKING:
    from gateway.settings import Settings

COMMANDS = ("sandbox-processor", "worker", "payments")


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = commands.add_parser(
        "sandbox-processor",
        help="run the sandbox payment processor: card and bank tokens, charges, a ledger",
    )
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8002, help="0 picks a free port")
    sandbox.add_argument(
        "--api-key",
        help="the key clients must send (default: COOP_GATEWAY_SANDBOX_API_KEY,"
        " else sk_sandbox_demo)",
    )
    sandbox.add_argument(
        "--database", help="SQLite file that keeps the ledger across restarts (default: memory)"
    )
    sandbox.add_argument(
        "--slow-seconds",
        type=float,
        default=3.0,
        help="how long a charge with the slow test card takes to answer",
    )
    worker = commands.add_parser(
        "worker", help="run the background jobs (finishing payments) until stopped"
    )
    worker.add_argument(
        "--interval", type=float, default=5.0, help="seconds between rounds (default 5)"
    )
    payments = commands.add_parser("payments", help="the payments the gateway made")
    actions = payments.add_subparsers(dest="payments_command", required=True)
    actions.add_parser(
        "reconcile",
        help="compare the gateway's payments, the processor's charges and the CIS's payments;"
        " exit 1 on any difference, or a payment the CIS refused in part (for staff)",
    )
    settle = actions.add_parser(
        "settle",
        help="mark a payment the CIS refused in part as settled, once staff applied the"
        " refused part in the CIS by hand (applied) or gave it back (refunded)",
    )
    settle.add_argument("reference", help="the payment's confirmation number (CP-…)")
    settle.add_argument("how", choices=["applied", "refunded"])
    settle.add_argument("--cooperative", help="the co-op's id (default: the only one served)")


def run(args: argparse.Namespace, settings: Callable[[], Settings]) -> None:
    if args.command == "sandbox-processor":
        _run_sandbox_processor(args)
    elif args.command == "worker":
        _run_worker(settings(), args.interval)
    elif args.payments_command == "settle":
        _run_settle(settings(), args.reference, args.how, args.cooperative)
    else:
        _run_reconcile(settings())


def _run_sandbox_processor(args: argparse.Namespace) -> None:
    from gateway.payments.sandbox import server

    server.run(
        host=args.host,
        port=args.port,
        api_key=args.api_key or os.environ.get(server.API_KEY_VARIABLE) or server.DEFAULT_API_KEY,
        database_path=args.database,
        slow_seconds=args.slow_seconds,
    )


def _run_worker(settings: Settings, interval: float) -> None:
    from gateway.logs import configure_logging
    from gateway.worker import run_worker

    if interval <= 0:
        sys.exit("coop-gateway worker: --interval must be above 0")
    configure_logging(settings.log_level)
    cooperatives = cooperatives_of(settings, "coop-gateway worker")
    asyncio.run(run_worker(settings, cooperatives, interval_seconds=interval))


def _run_reconcile(settings: Settings) -> NoReturn:
    from gateway.payments.reconcile import reconcile
    from gateway.runtime import start_gateway

    async def report() -> int:
        cooperatives = cooperatives_of(settings, "coop-gateway payments reconcile")
        differences = 0
        async with start_gateway(settings, cooperatives) as gateway:
            for services in gateway.services.values():
                if services.processor is None:
                    continue
                found = await reconcile(services)
                print(
                    f"{services.cooperative.id}: {found.payments} payments;"
                    f" processor charged {found.charged_total};"
                    f" CIS applied {found.applied_total};"
                    f" {len(found.in_flight)} in flight; {len(found.differences)} differences;"
                    f" {len(found.needs_attention)} refused by the CIS, for staff"
                )
                for line in [*found.differences, *found.needs_attention]:
                    print(f"  {line}")
                differences += len(found.differences) + len(found.needs_attention)
        return 1 if differences else 0

    sys.exit(asyncio.run(report()))


def _run_settle(
    settings: Settings, reference: str, how: str, cooperative_id: str | None
) -> NoReturn:
    from gateway.cooperatives import Cooperatives
    from gateway.payments.settle import Settlement, settle
    from gateway.runtime import start_gateway

    command = "coop-gateway payments settle"
    chosen = cooperative_of(cooperatives_of(settings, command), cooperative_id, command, sole=True)

    async def settled() -> bool:
        only_chosen = Cooperatives(by_id={chosen.id: chosen}, default=chosen)
        async with start_gateway(settings, only_chosen) as gateway:
            return await settle(gateway.services[chosen.id], reference.strip(), Settlement(how))

    if not asyncio.run(settled()):
        sys.exit(f"{command}: no payment {reference} needs attention")
    print(f"{reference} settled ({how})")
    sys.exit(0)
