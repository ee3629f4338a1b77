"""The farm member's dashboard through the real gateway: latency, throughput, SOAP calls, CPU.

Starts the CIS simulator and the gateway (``coop-gateway serve``) as subprocesses on free
local ports, with a database and co-op file of their own in a temporary folder, logs in
as ``farm@example.coop`` (60 accounts) and runs gateway.demo's dashboard query: every
account with its balance, due date, service locations with power status, outage status
and last 3 bills. For each CIS latency (set at run time through the simulator's
``/_sim/control``) and with CIS batching on and off (``COOP_GATEWAY_CIS_BATCHING``, which
restarts the gateway), it prints:

- SOAP calls per query, counted by the simulator (``/_sim/stats``);
- gateway CPU per query: the gateway process's user + system time (``/proc/<pid>/stat``)
  over the sequential run, divided by its queries (the simulator's too, for comparison);
- p50/p95 latency and requests/s at concurrency 1 and 32, after a warm-up; the number of
  queries that failed (an error, or not every account);
- the CIS critical path: sequential levels of CIS calls times latency per call. The query
  needs 2 levels (accounts, service locations and bills side by side, all keyed by account
  number; then the customer and the locations' outage status); the bench also measures it
  as the p50 growth from 0 ms to 20 ms per call, divided by 20 ms.

Each configuration gets a fresh gateway, so one's CIS timeouts (batching off overwhelms
the adapter's 4 concurrent CIS calls and 10 s deadline) cannot open the circuit breaker
for the next. Run it with ``.venv/bin/python bench/dashboard.py``; it stops by itself in a
few minutes. ``--quick`` measures batching on only; ``--profile FILE`` runs the gateway
under cProfile and prints where its time went (its figures are then not comparable).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pstats
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvloop

from adapters.cis_soap.simulator.demo import FARM_ACCOUNTS, FARM_EMAIL
from gateway.auth.users import create_user
from gateway.cooperatives import load_cooperative
from gateway.demo import DASHBOARD_QUERY, DEMO_COOPERATIVE_FILE
from gateway.store.database import create_engine, session_factory
from gateway.store.models import Role

LATENCIES_MS = (0.0, 20.0)
CONCURRENCY = 32
CIS_LEVELS = 2  # see the module's docstring
TARGET_OVER_CRITICAL_PATH_MS = 15.0
TARGET_CPU_MS = 10.0
START_SECONDS = 60
REPO = Path(__file__).resolve().parents[1]

LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}"""


@dataclass(frozen=True, slots=True)
class Plan:
    """Queries run per measurement: one per CIS call is slow, so batching off runs fewer."""

    warm_up: int
    sequential: int  # at concurrency 1
    concurrent: int  # at concurrency CONCURRENCY
    probes: int  # queries whose SOAP calls are counted


PLANS = {True: Plan(20, 100, 320, 5), False: Plan(2, 10, 32, 2)}


@dataclass(frozen=True, slots=True)
class Run:
    latencies: list[float]  # seconds
    seconds: float
    failures: int  # non-200 answers, errors, or fewer than the farm's accounts

    def percentile_ms(self, percent: int) -> float:
        cuts = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return 1000 * (statistics.median(self.latencies) if percent == 50 else cuts[percent - 1])

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


@dataclass(frozen=True, slots=True)
class Figures:
    batching: bool
    latency_ms: float
    calls_per_query: float
    cpu_ms_per_query: float
    simulator_cpu_ms_per_query: float
    sequential: Run
    concurrent: Run


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_environ(**variables: str) -> dict[str, str]:
    """This process's environment without proxies (all traffic stays on 127.0.0.1)."""
    kept = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    return {**kept, "PYTHONUNBUFFERED": "1", **variables}


@contextmanager
def running(command: list[str], log: Path, environ: Mapping[str, str]) -> Iterator[int]:
    """A subprocess for the duration of the block; yields its pid."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=REPO, env=environ, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        yield process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_ok(url: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {START_SECONDS} s; see {log}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def write_cooperative(folder: Path, soap_url: str) -> Path:
    """The demo co-op file, with its CIS at the bench's simulator."""
    text = DEMO_COOPERATIVE_FILE.read_text()
    demo_url = load_cooperative(DEMO_COOPERATIVE_FILE).cis.url
    path = folder / "coop.toml"
    path.write_text(text.replace(f'url = "{demo_url}"', f'url = "{soap_url}"'))
    if load_cooperative(path).cis.url != soap_url:
        raise SystemExit(f"cannot point {DEMO_COOPERATIVE_FILE}'s CIS URL at the simulator")
    return path


async def seed_farm_user(database_url: str, cooperative_id: str, password: str) -> None:
    engine = create_engine(database_url)
    try:
        db = session_factory(engine)
        await create_user(db, cooperative_id, FARM_EMAIL, password, Role.MEMBER, FARM_ACCOUNTS)
    finally:
        await engine.dispose()


class Bench:
    def __init__(self, gateway_url: str, control_url: str, token: str) -> None:
        self.graphql_url = f"{gateway_url}/graphql"
        self.control_url = control_url
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        self.http = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {token}"},
            limits=limits,
            timeout=120,
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def simulator(self, **knobs: object) -> dict[str, object]:
        response = await self.http.post(f"{self.control_url}/_sim/control", json=knobs)
        response.raise_for_status()
        return dict(response.json())

    async def dashboard(self) -> bool:
        """One dashboard query; True when it answered every account without errors."""
        response = await self.http.post(self.graphql_url, json={"query": DASHBOARD_QUERY})
        if response.status_code != 200:
            return False
        answer = response.json()
        viewer = (answer.get("data") or {}).get("viewer") or {}
        return "errors" not in answer and len(viewer.get("accounts") or ()) == len(FARM_ACCOUNTS)

    async def run(self, queries: int, concurrency: int) -> Run:
        latencies: list[float] = []
        failures = 0
        turns = iter(range(queries))  # shared: each worker takes the next query

        async def worker() -> None:
            nonlocal failures
            for _ in turns:
                started = time.perf_counter()
                answered = await self.dashboard()
                latencies.append(time.perf_counter() - started)
                failures += not answered

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return Run(latencies, time.perf_counter() - started, failures)

    async def soap_calls_per_query(self, probes: int) -> tuple[float, dict[str, int]]:
        await self.simulator(reset_stats=True)
        await self.run(probes, 1)
        stats = (await self.http.get(f"{self.control_url}/_sim/stats")).json()
        operations = {name: op["calls"] for name, op in stats["operations"].items()}
        return stats["calls"] / probes, operations

    async def measure(self, batching: bool, latency_ms: float, pids: tuple[int, int]) -> Figures:
        """The figures of one configuration; ``pids``: the gateway's and the simulator's."""
        plan = PLANS[batching]
        await self.simulator(latency_ms=latency_ms)
        await self.run(plan.warm_up, min(plan.warm_up, CONCURRENCY))
        calls, operations = await self.soap_calls_per_query(plan.probes)
        cpu_before = [cpu_seconds(pid) for pid in pids]
        sequential = await self.run(plan.sequential, 1)
        gateway_ms, simulator_ms = (
            1000 * (cpu_seconds(pid) - before) / plan.sequential
            for pid, before in zip(pids, cpu_before, strict=True)
        )
        concurrent = await self.run(plan.concurrent, CONCURRENCY)
        figures = Figures(
            batching, latency_ms, calls, gateway_ms, simulator_ms, sequential, concurrent
        )
        print(row(figures), flush=True)
        if batching and latency_ms == 0:
            print(f"    SOAP calls per operation ({plan.probes} queries): {operations}", flush=True)
        return figures


HEADER = (
    "batching  CIS  SOAP calls  CPU ms/query     |  c=1: p50     p95  req/s |"
    f" c={CONCURRENCY}: p50     p95  req/s | failed\n"
    "          ms   per query   gateway  CIS sim |    ms      ms         |"
    "        ms      ms        |"
)


def row(figures: Figures) -> str:
    one, many = figures.sequential, figures.concurrent
    failed = one.failures + many.failures
    return (
        f"{'on' if figures.batching else 'off':<8} {figures.latency_ms:>4.0f}"
        f" {figures.calls_per_query:>11.1f} {figures.cpu_ms_per_query:>9.1f}"
        f" {figures.simulator_cpu_ms_per_query:>8.1f} |"
        f" {one.percentile_ms(50):>8.1f} {one.percentile_ms(95):>7.1f} {one.per_second:>6.1f} |"
        f" {many.percentile_ms(50):>9.1f} {many.percentile_ms(95):>7.1f} {many.per_second:>6.1f} |"
        f" {failed}/{len(one.latencies) + len(many.latencies)}"
    )


def summary(results: dict[tuple[bool, float], Figures]) -> str:
    lines = ["", "Batching on vs off (how many times better on is than off):"]
    for latency in LATENCIES_MS:
        on, off = results[True, latency], results[False, latency]
        lines.append(
            f"  CIS {latency:.0f} ms: SOAP calls /{off.calls_per_query / on.calls_per_query:.0f},"
            f" gateway CPU /{off.cpu_ms_per_query / on.cpu_ms_per_query:.1f},"
            f" c=1 p50 /{off.sequential.percentile_ms(50) / on.sequential.percentile_ms(50):.1f},"
            f" c=1 req/s x{on.sequential.per_second / off.sequential.per_second:.1f},"
            f" c={CONCURRENCY} req/s x{on.concurrent.per_second / off.concurrent.per_second:.1f}"
        )
    fast, slow = results[True, LATENCIES_MS[0]], results[True, LATENCIES_MS[-1]]
    p50_fast, p50_slow = fast.sequential.percentile_ms(50), slow.sequential.percentile_ms(50)
    per_call = LATENCIES_MS[-1] - LATENCIES_MS[0]
    measured_levels = (p50_slow - p50_fast) / per_call
    critical_path = CIS_LEVELS * LATENCIES_MS[-1]
    over = p50_slow - critical_path
    cpu = max(figures.cpu_ms_per_query for figures in (fast, slow))
    return "\n".join(
        [
            *lines,
            "",
            f"CIS critical path at {LATENCIES_MS[-1]:.0f} ms per call: {CIS_LEVELS} levels"
            f" x {LATENCIES_MS[-1]:.0f} ms = {critical_path:.0f} ms"
            f" (measured: c=1 p50 grew {p50_slow - p50_fast:.1f} ms,"
            f" {measured_levels:.2f} levels)",
            f"Target c=1 p50 <= critical path + {TARGET_OVER_CRITICAL_PATH_MS:.0f} ms:"
            f" {p50_slow:.1f} ms is {over:+.1f} ms"
            f" -> {_verdict(over, TARGET_OVER_CRITICAL_PATH_MS)}",
            f"Target gateway CPU <= {TARGET_CPU_MS:.0f} ms per query (batching on): {cpu:.1f} ms"
            f" -> {_verdict(cpu, TARGET_CPU_MS)}",
        ]
    )


def _verdict(value: float, limit: float) -> str:
    return "met" if value <= limit else "MISSED"


async def login(gateway_url: str, password: str) -> str:
    async with httpx.AsyncClient(timeout=30, trust_env=False) as http:
        variables = {"email": FARM_EMAIL, "password": password}
        response = await http.post(
            f"{gateway_url}/graphql", json={"query": LOGIN, "variables": variables}
        )
    token = ((response.json().get("data") or {}).get("login") or {}).get("token")
    if not isinstance(token, str):
        raise SystemExit(f"the farm member cannot log in: {response.text}")
    return token


async def measure_on_gateway(
    bench: Bench, batching: bool, latency_ms: float, pids: tuple[int, int]
) -> Figures:
    try:
        return await bench.measure(batching, latency_ms, pids)
    finally:
        await bench.aclose()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="batching on only (skips the slow batching-off runs)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="run the gateway under cProfile, save its stats to FILE and print the top entries"
        " (profiling slows the gateway: its figures are not comparable)",
    )
    return parser.parse_args()


def gateway_command(profile: Path | None) -> list[str]:
    if profile is None:
        return [sys.executable, "-m", "gateway", "serve"]
    return [sys.executable, str(REPO / "bench" / "profiled_gateway.py"), str(profile)]


def print_profile(profile: Path) -> None:
    print(f"\nGateway profile ({profile}), by own time:", flush=True)
    pstats.Stats(str(profile)).sort_stats("tottime").print_stats(25)


def main() -> None:
    options = arguments()
    batching_modes = (True,) if options.quick else (True, False)
    with tempfile.TemporaryDirectory(prefix="coop-bench-") as temporary:
        folder = Path(temporary)
        soap_port, control_port, gateway_port = free_port(), free_port(), free_port()
        control_url = f"http://127.0.0.1:{control_port}"
        gateway_url = f"http://127.0.0.1:{gateway_port}"
        simulator_command = [sys.executable, "-m", "gateway", "simulator", "--port"]
        simulator_command += [str(soap_port), "--control-port", str(control_port)]
        simulator_log, gateway_log = folder / "simulator.log", folder / "gateway.log"
        with running(simulator_command, simulator_log, local_environ()) as simulator_pid:
            wait_until_ok(f"{control_url}/_sim/health", simulator_log)
            cooperative_file = write_cooperative(folder, f"http://127.0.0.1:{soap_port}/cis")
            database_url = f"sqlite+aiosqlite:///{folder / 'gateway.db'}"
            environ = local_environ(
                COOP_GATEWAY_DATABASE_URL=database_url,
                COOP_GATEWAY_COOPERATIVES=str(cooperative_file),
                COOP_GATEWAY_PORT=str(gateway_port),
                COOP_GATEWAY_LOG_LEVEL="WARNING",
            )
            upgrade = [sys.executable, "-m", "gateway", "db", "upgrade"]
            subprocess.run(upgrade, cwd=REPO, env=environ, check=True, capture_output=True)
            password = secrets.token_urlsafe(16)
            cooperative_id = load_cooperative(cooperative_file).id
            results: dict[tuple[bool, float], Figures] = {}
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(seed_farm_user(database_url, cooperative_id, password))
                print(HEADER, flush=True)
                for batching in batching_modes:
                    for latency_ms in LATENCIES_MS:
                        batching_environ = {**environ, "COOP_GATEWAY_CIS_BATCHING": str(batching)}
                        serve = gateway_command(options.profile)
                        with running(serve, gateway_log, batching_environ) as gateway_pid:
                            wait_until_ok(f"{gateway_url}/readyz", gateway_log)
                            token = runner.run(login(gateway_url, password))
                            bench = Bench(gateway_url, control_url, token)
                            pids = (gateway_pid, simulator_pid)
                            results[batching, latency_ms] = runner.run(
                                measure_on_gateway(bench, batching, latency_ms, pids)
                            )
            if not options.quick:
                print(summary(results), flush=True)
    if options.profile is not None:
        print_profile(options.profile)


if __name__ == "__main__":
    main()
