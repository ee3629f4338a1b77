"""``coop-gateway demo`` (``make run``): the CIS simulator and the gateway, seeded, on one host.

It migrates the demo's own SQLite database, starts the simulator as a subprocess, creates
the logins of the simulator's named demo customers (password ``demo-password``: demo mode
only), serves the gateway, and prints where to start. Ctrl-C (or SIGTERM) stops both.

The demo keeps everything in its data folder (``var/`` by default), in a database of its
own: its well-known passwords never land in a database ``serve`` uses.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from types import MappingProxyType

import httpx
import uvicorn
import uvloop
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.demo import (
    DEMO_ACCOUNTS,
    DEMO_EMAIL,
    DEMO_LAST_NAME,
    DEMO_SHOP_ACCOUNT,
    DEMO_SHOP_POSTAL_CODE,
    FARM_ACCOUNTS,
    FARM_EMAIL,
)
from gateway.app import create_app
from gateway.auth.users import UserExists, create_user
from gateway.cooperatives import Cooperative, Cooperatives, load_cooperative
from gateway.logs import configure_logging
from gateway.mail import SmtpSettings
from gateway.mail_sink import start_sink
from gateway.serve import server_options
from gateway.settings import Settings
from gateway.store.database import create_engine, session_factory
from gateway.store.migrate import upgrade
from gateway.store.models import Role
from gateway.worker import run_worker

DEMO_COOPERATIVE_FILE = Path("config/demo-coop.toml")
DEMO_PASSWORD = "demo-password"  # noqa: S105 - the demo's published password
STAFF_EMAIL = "staff@example.coop"
# (e-mail, role, CIS accounts, what the login shows)
DEMO_LOGINS: tuple[tuple[str, Role, Sequence[str], str], ...] = (
    (DEMO_EMAIL, Role.MEMBER, DEMO_ACCOUNTS, "a home with solar, a shop, a past-due cabin"),
    (FARM_EMAIL, Role.MEMBER, FARM_ACCOUNTS, "a farm with 60 accounts"),
    (STAFF_EMAIL, Role.STAFF, (), "co-op staff: any account, `account(number:)`"),
)
SIMULATOR_START_SECONDS = 120  # it generates its customers' history before it listens

LOGIN_MUTATION = f"""mutation Login {{
  login(email: "{DEMO_EMAIL}", password: "{DEMO_PASSWORD}") {{ token expiresAt }}
}}"""
# The demo shop's account, holder and service ZIP, as on its bill: a new login for it.
_SHOP_BILL = (
    f'accountNumber: "{DEMO_SHOP_ACCOUNT}", holderName: "{DEMO_LAST_NAME}",'
    f' postalCode: "{DEMO_SHOP_POSTAL_CODE}"'
)
SIGN_UP_MUTATION = f"""mutation SignUp {{
  register(
    account: {{{_SHOP_BILL}}}
    email: "you@example.net"
  )
}}"""
DASHBOARD_QUERY = """query Dashboard {
  viewer {
    name
    email
    totalDue
    accounts {
      number
      status
      balance { current pastDue total }
      amountDue
      dueDate
      isPastDue
      serviceLocations { address { line1 city } powerStatus }
      outageStatus { powerStatus estimatedRestoration }
      bills(first: 3) { edges { node { billDate totalDue dueDate } } }
    }
  }
}"""


@dataclasses.dataclass(frozen=True, slots=True)
class DemoOptions:
    port: int = 8000
    simulator_port: int = 8001
    mail_port: int = 8025
    data_dir: Path = Path("var")
    processor_port: int = 8002


def run_demo(options: DemoOptions, settings: Settings) -> None:
    """Runs the demo until Ctrl-C or SIGTERM; ``settings`` give the log level and session
    lifetimes (the database, co-op file, host and demo mode are the demo's own)."""
    configure_logging(settings.log_level)
    settings = dataclasses.replace(
        settings,
        database_url=f"sqlite+aiosqlite:///{options.data_dir / 'demo-gateway.db'}",
        cooperatives=(DEMO_COOPERATIVE_FILE,),
        default_cooperative=None,
        host="127.0.0.1",
        port=options.port,
        demo_mode=True,
        smtp=SmtpSettings(
            port=options.mail_port, sender="Custer Prairie Electric <no-reply@example.coop>"
        ),
    )
    # A signal cancels the demo (see `_cancel_on_signals`): its clean-up runs, then it ends.
    with (
        suppress(KeyboardInterrupt, asyncio.CancelledError),
        asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner,
    ):
        runner.run(_demo(options, settings))


async def seed_demo_users(
    settings: Settings, db: async_sessionmaker[AsyncSession], cooperative_id: str
) -> None:
    """Creates the demo logins that do not exist yet; refused unless demo mode is on."""
    if not settings.demo_mode:
        raise ValueError("the demo logins have a published password: demo mode only")
    for email, role, accounts, _shows in DEMO_LOGINS:
        with suppress(UserExists):
            await create_user(db, cooperative_id, email, DEMO_PASSWORD, role, accounts)


async def _demo(options: DemoOptions, settings: Settings) -> None:
    _cancel_on_signals()
    options.data_dir.mkdir(parents=True, exist_ok=True)
    cooperative = _demo_cooperative(options)
    simulator = _start_simulator(options)
    processor = _start_processor(options)
    mail_sink = await start_sink(options.data_dir / "mail", port=options.mail_port)
    worker_stop = asyncio.Event()
    try:
        await _wait_for(
            simulator,
            f"http://127.0.0.1:{options.simulator_port}/_sim/health",
            options.data_dir / "cis-simulator.log",
        )
        await _wait_for(
            processor,
            f"http://127.0.0.1:{options.processor_port}/_sandbox/health",
            options.data_dir / "sandbox-processor.log",
        )
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            await seed_demo_users(settings, session_factory(engine), cooperative.id)
        finally:
            await engine.dispose()
        cooperatives = Cooperatives(MappingProxyType({cooperative.id: cooperative}), cooperative)
        app = create_app(settings, cooperatives=cooperatives)
        # The worker finishes payments the gateway could not (as `coop-gateway worker` does).
        worker = asyncio.create_task(run_worker(settings, cooperatives, stop=worker_stop))
        await _AnnouncingServer(uvicorn.Config(app, **server_options(settings)), options).serve()
        worker_stop.set()
        await worker
    finally:
        worker_stop.set()
        mail_sink.close()
        # Blocking on purpose: a second signal cannot cut the stops short.
        _stop(simulator)
        _stop(processor)


def _cancel_on_signals() -> None:
    """SIGINT and SIGTERM cancel the running task (the demo), so its clean-up runs.

    While uvicorn serves it handles them itself (a graceful stop; a second Ctrl-C forces
    it), then raises them again once stopped, and they reach this handler.
    """
    task = asyncio.current_task()
    assert task is not None
    loop = task.get_loop()

    def cancel(_signal: int, _frame: object) -> None:
        loop.call_soon_threadsafe(task.cancel)

    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, cancel)


def _demo_cooperative(options: DemoOptions) -> Cooperative:
    """The demo co-op, with its CIS at the simulator's port and its processor at the
    sandbox's."""
    cooperative = load_cooperative(DEMO_COOPERATIVE_FILE)
    cis_url = f"http://127.0.0.1:{options.simulator_port}/cis"
    payments = cooperative.payments
    assert payments is not None  # the demo co-op's file has a [payments] table
    processor_url = f"http://127.0.0.1:{options.processor_port}"
    return dataclasses.replace(
        cooperative,
        cis=dataclasses.replace(cooperative.cis, url=cis_url),
        payments=dataclasses.replace(payments, processor_url=processor_url),
    )


def _start_simulator(options: DemoOptions) -> subprocess.Popen[bytes]:
    database = options.data_dir / "cis-simulator.db"
    arguments = ["--port", str(options.simulator_port), "--database", str(database)]
    return _start("simulator", arguments, options.data_dir / "cis-simulator.log")


def _start_processor(options: DemoOptions) -> subprocess.Popen[bytes]:
    database = options.data_dir / "sandbox-processor.db"
    arguments = ["--port", str(options.processor_port), "--database", str(database)]
    return _start("sandbox-processor", arguments, options.data_dir / "sandbox-processor.log")


def _start(command: str, arguments: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("wb") as log:
        return subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "-m", "gateway", command, *arguments],
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def _wait_for(process: subprocess.Popen[bytes], health: str, log: Path) -> None:
    """Returns once ``health`` answers 200; exits the demo if the process stops first."""
    name = log.stem
    deadline = time.monotonic() + SIMULATOR_START_SECONDS
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                printed = await asyncio.to_thread(log.read_text)
                raise SystemExit(f"the {name} stopped; see {log}:\n{printed}")
            with suppress(httpx.HTTPError):
                if (await http.get(health)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise SystemExit(f"{health} did not answer within {SIMULATOR_START_SECONDS} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _AnnouncingServer(uvicorn.Server):
    """uvicorn, printing the demo's banner once it listens."""

    def __init__(self, config: uvicorn.Config, options: DemoOptions) -> None:
        super().__init__(config)
        self.options = options

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(_banner(self.options), flush=True)


def _banner(options: DemoOptions) -> str:
    logins = "\n".join(f"  {email:<20} {shows}" for email, _role, _accounts, shows in DEMO_LOGINS)
    indented_query = DASHBOARD_QUERY.replace("\n", "\n  ")
    return f"""
coop-gateway demo
  GraphiQL:      http://127.0.0.1:{options.port}/graphql
  CIS simulator: http://127.0.0.1:{options.simulator_port}/cis?wsdl \
(log: {options.data_dir / "cis-simulator.log"})
  Mail sink:     127.0.0.1:{options.mail_port} (messages saved in {options.data_dir / "mail"}/)
  Payments:      sandbox processor at http://127.0.0.1:{options.processor_port} \
(test card 4242424242424242; see the README)

Logins, all with password "{DEMO_PASSWORD}":
{logins}

Log in: paste into GraphiQL and run
  {LOGIN_MUTATION.replace(chr(10), chr(10) + "  ")}
then add the header {{"Authorization": "Bearer <the token>"}} (Headers tab) and run
  {indented_query}

Sign up as a new member (the temporary password arrives in the mail sink):
  {SIGN_UP_MUTATION.replace(chr(10), chr(10) + "  ")}

Ctrl-C stops the gateway, the mail sink and the CIS simulator.
"""
