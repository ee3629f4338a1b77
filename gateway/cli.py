"""The ``coop-gateway`` command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from adapters.cis_soap.operations import MAX_BATCH_SIZE


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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="coop-gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_simulator(commands)
    args = parser.parse_args(argv)

    if args.command == "simulator":
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
