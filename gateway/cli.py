"""The ``coop-gateway`` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from adapters.cis_soap.operations import MAX_BATCH_SIZE
from gateway import cli_payments, cli_users
from gateway.cli_common import cooperatives_of

if TYPE_CHECKING:
    from gateway.settings import Settings


def _add_simulator(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    simulator = commands.add_parser(
        "simulator", help="run the CIS simulator: a SOAP server with generated co-op data"
    )
    simulator.add_argument("--host", default="127.0.0.1")
    simulator.add_argument("--port", type=int, default=8001, help="0 picks a free port")
    simulator.add_argument(
        "--control-port", type=int, help="serve /_sim here too, reachable during outages"
    )
    simulator.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    simulator.add_argument("--members", type=int, default=2000, help="number of customers")
    simulator.add_argument("--latency-ms", type=float, default=0.0, help="latency per call")
    simulator.add_argument(
        "--latency-per-item-ms", type=float, default=0.0, help="latency per key or item"
    )
    simulator.add_argument(
        "--fault-rate", type=float, default=0.0, help="share of calls that fail (0 to 1)"
    )
    simulator.add_argument("--max-batch-size", type=int, default=MAX_BATCH_SIZE)
    simulator.add_argument("--time-zone", default="America/Chicago", help="the co-op's zone")
    simulator.add_argument(
        "--database", help="SQLite file that keeps the simulator's writes across restarts"
    )


def _add_db(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    database = commands.add_parser("db", help="the gateway's own database and its schema")
    actions = database.add_subparsers(dest="db_command", required=True)
    for name, description in (
        ("upgrade", "migrate the database to the newest schema (creates it if need be)"),
        ("current", "print the database's schema revision; exit status 1 if it is behind"),
    ):
        action = actions.add_parser(name, help=description)
        action.add_argument(
            "--database-url",
            type=_database_url,
            help="default: COOP_GATEWAY_DATABASE_URL, else sqlite+aiosqlite:///var/coop-gateway.db",
        )


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve", help="serve the GraphQL gateway (settings from COOP_GATEWAY_* variables)"
    )
    serve.add_argument("--host", help="default: COOP_GATEWAY_HOST, else 127.0.0.1")
    serve.add_argument("--port", type=int, help="default: COOP_GATEWAY_PORT, else 8000")
    serve.add_argument("--workers", type=int, help="default: COOP_GATEWAY_WORKERS, else 1")


def _add_demo(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = commands.add_parser(
        "demo",
        help="run the CIS simulator and the gateway with demo logins (what `make run` runs)",
    )
    demo.add_argument("--port", type=int, default=8000, help="the gateway's port")
    demo.add_argument("--simulator-port", type=int, default=8001, help="the simulator's port")
    demo.add_argument("--mail-port", type=int, default=8025, help="the mail sink's port")
    demo.add_argument(
        "--processor-port", type=int, default=8002, help="the sandbox payment processor's port"
    )
    demo.add_argument("--data-dir", default="var", help="where the demo keeps its databases")


def _add_mail(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sink = commands.add_parser(
        "mail-sink", help="a local SMTP server saving every message as an .eml file (demo)"
    )
    sink.add_argument("--host", default="127.0.0.1")
    sink.add_argument("--port", type=int, default=8025, help="0 picks a free port")
    sink.add_argument("--folder", default="var/mail", help="where messages are saved")
    check = commands.add_parser(
        "mail-check", help="send a test message through the COOP_GATEWAY_SMTP_* settings"
    )
    check.add_argument("address", help="where to send it")


def _settings(parser: argparse.ArgumentParser) -> Settings:
    from gateway.settings import Settings, SettingsError

    try:
        return Settings.from_environ(os.environ)
    except SettingsError as error:
        parser.error(str(error))


def _run_serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    from dataclasses import replace

    from gateway.serve import serve

    if args.workers is not None and args.workers < 1:
        parser.error("--workers must be 1 or more")
    settings = _settings(parser)
    overrides = {"host": args.host, "port": args.port, "workers": args.workers}
    serve(
        replace(settings, **{name: value for name, value in overrides.items() if value is not None})
    )


def _run_demo(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    from pathlib import Path

    from gateway.demo import DemoOptions, run_demo

    options = DemoOptions(
        port=args.port,
        simulator_port=args.simulator_port,
        mail_port=args.mail_port,
        data_dir=Path(args.data_dir),
        processor_port=args.processor_port,
    )
    run_demo(options, _settings(parser))


def _database_url(text: str) -> str:
    from gateway.settings import parse_database_url

    try:
        return parse_database_url(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _run_db(parser: argparse.ArgumentParser, args: argparse.Namespace) -> NoReturn:
    from sqlalchemy.exc import SQLAlchemyError

    url = args.database_url or _settings(parser).database_url
    command = _db_upgrade if args.db_command == "upgrade" else _db_current
    try:
        sys.exit(asyncio.run(command(url)))
    except (OSError, SQLAlchemyError) as error:
        sys.exit(f"coop-gateway db {args.db_command}: database error: {error}")


async def _db_upgrade(url: str) -> int:
    from gateway.store.database import create_engine
    from gateway.store.migrate import current_revision, upgrade

    engine = create_engine(url)
    try:
        await upgrade(engine)
        print(f"Database schema at revision {await current_revision(engine)} (head).")
    finally:
        await engine.dispose()
    return 0


async def _db_current(url: str) -> int:
    from gateway.store.database import create_engine
    from gateway.store.migrate import current_revision, head_revision

    engine = create_engine(url)
    try:
        revision = await current_revision(engine)
    finally:
        await engine.dispose()
    if revision == head_revision():
        print(f"{revision} (head)")
        return 0
    print(f"{revision or 'none'}; the newest is {head_revision()}: run `coop-gateway db upgrade`")
    return 1


def _run_mail_check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from gateway.mail import Mailer, MailError

    settings = _settings(parser)
    cooperative = cooperatives_of(settings, "coop-gateway mail-check")
    mailer = Mailer(settings.smtp)
    values = {
        "cooperative": cooperative.default.name,
        "server": f"{settings.smtp.host}:{settings.smtp.port}",
        "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    try:
        asyncio.run(mailer.send(mailer.compose("smtp-check", args.address, values)))
    except MailError as error:
        sys.exit(f"coop-gateway mail-check: {error}")
    print(f"sent a test message to {args.address} through {values['server']}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="coop-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_simulator(commands)
    _add_db(commands)
    cli_users.add_commands(commands, database_url=_database_url)
    _add_serve(commands)
    _add_demo(commands)
    _add_mail(commands)
    cli_payments.add_commands(commands)
    args = parser.parse_args(argv)

    if args.command == "db":
        _run_db(parser, args)
    elif args.command == "users":
        cli_users.run(args, _settings(parser))
    elif args.command == "serve":
        _run_serve(parser, args)
    elif args.command == "demo":
        _run_demo(parser, args)
    elif args.command == "mail-check":
        _run_mail_check(parser, args)
    elif args.command == "mail-sink":
        from pathlib import Path

        from gateway.mail_sink import run_sink

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_sink(Path(args.folder), args.host, args.port))
    elif args.command in cli_payments.COMMANDS:
        cli_payments.run(args, lambda: _settings(parser))
    elif args.command == "simulator":
        # Imported here so that each command loads only what it needs.
        from adapters.cis_soap.simulator import server

        server.run(
            host=args.host,
            port=args.port,
            seed=args.seed,
            members=args.members,
            latency_ms=args.latency_ms,
            fault_rate=args.fault_rate,
            database_path=args.database,
            latency_per_item_ms=args.latency_per_item_ms,
            max_batch_size=args.max_batch_size,
            control_port=args.control_port,
            time_zone=args.time_zone,
        )
