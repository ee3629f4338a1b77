"""Nothing lost, nothing charged twice: 200 payments over 50 accounts, sent at once with
repeated idempotency keys, while the CIS faults one call in five and is down for a stretch,
and the gateway process is killed and restarted in the middle (PostgreSQL).

After the worker drains, the three ledgers reconcile to the cent (``payments reconcile``),
nothing is in flight, every charge is applied once, and each account's balance moved by
exactly what was applied to it.
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from adapters.cis_soap.simulator.demo import FARM_ACCOUNTS, FARM_EMAIL
from gateway.auth.users import create_user
from gateway.cooperatives import load_cooperatives
from gateway.mail import SmtpSettings
from gateway.payments.reconcile import reconcile
from gateway.payments.worker import finish_due_payments
from gateway.runtime import start_gateway
from gateway.settings import Settings
from gateway.store.database import create_engine, session_factory
from gateway.store.migrate import upgrade
from gateway.store.models import Role, utc_now
from gateway.store.payments import Payment, PaymentAllocation, PaymentState
from tests.cis_soap.local_server import free_port
from tests.gateway.databases import POSTGRESQL_ONLY
from tests.gateway.live_gateway import log_in
from tests.payments.paying import PAY, card, coop_file, environment
from tests.payments.sandbox import RunningSandbox
from tests.schema.harness import PASSWORD
from tests.simulator_process import REPO, RunningSimulator, SimulatorControl, running_simulator

ACCOUNTS = FARM_ACCOUNTS[:50]
PAYMENTS = 200
REPEATS = 20  # of the 200, sent again with the same key and body
CONCURRENCY = 25
KILL_AFTER = 80  # answers before the gateway is killed


@pytest.fixture
def faulty_cis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    with running_simulator(tmp_path_factory.mktemp("faulty-cis"), seed=11, members=5) as cis:
        yield cis


@dataclass
class GatewayProcess:
    """``coop-gateway serve`` on a fixed port, so a restart answers at the same address."""

    settings: Settings
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        extras = {"PYTHONUNBUFFERED": "1", "COOP_GATEWAY_ATTEMPTS_PER_MINUTE": "1000"}
        command = [sys.executable, "-m", "gateway", "serve", "--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: ASYNC220 - once, then awaited over HTTP
                command,
                cwd=REPO,
                env={**environment(self.settings), **extras},
                stderr=log,
                stdout=log,
            )
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(300):
                try:
                    if (await http.get(f"{self.url}/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    await asyncio.sleep(0.05)
        raise AssertionError(self.log.read_text())

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)  # no clean-up: a crash
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=30)


@POSTGRESQL_ONLY
async def test_nothing_is_lost_or_charged_twice(
    database_url: str, faulty_cis: RunningSimulator, sandbox: RunningSandbox, tmp_path: Path
) -> None:
    cooperative = coop_file(tmp_path, faulty_cis, sandbox)
    # An open circuit breaker probes the CIS again after a second, not the default 30.
    text = cooperative.read_text().replace(
        "[cis.resilience]\n", "[cis.resilience]\nbreaker_cooldown = 1.0\n"
    )
    cooperative.write_text(text)
    settings = Settings(
        database_url=database_url,
        cooperatives=(cooperative,),
        smtp=SmtpSettings(port=9),  # no receipts: nothing listens there
    )
    engine = create_engine(database_url)
    await upgrade(engine)
    await create_user(
        session_factory(engine), "custer-prairie", FARM_EMAIL, PASSWORD, Role.MEMBER, ACCOUNTS
    )
    await engine.dispose()
    before = await cis_balances(settings)
    processor = sandbox.client()
    card_token = await card(processor)

    gateway = GatewayProcess(settings, free_port(), tmp_path / "gateway.log")
    await gateway.start()
    requests = planned_requests(card_token)
    answers: list[dict[str, Any] | None] = []
    control = SimulatorControl(faulty_cis)
    try:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=30) as http:
            token = await log_in(http, FARM_EMAIL, PASSWORD)
            control.set(fault_rate=0.2)
            limit = asyncio.Semaphore(CONCURRENCY)

            async def send(variables: dict[str, Any]) -> None:
                async with limit:
                    answers.append(await paid(http, token, variables))
                    if len(answers) == KILL_AFTER:  # the crash, mid-run
                        gateway.kill()
                        await gateway.start()
                    if len(answers) == PAYMENTS // 2:  # the CIS down for a stretch
                        control.set(outage="refuse", outage_seconds=1.5)

            await asyncio.gather(*(send(variables) for variables in requests))
            control.set(fault_rate=0.0, outage="none")
    finally:
        gateway.stop()

    finished_by_worker = await drain(settings)
    found = await reconciled(settings)
    assert found.differences == [], found.differences
    assert found.in_flight == []
    assert found.charged_total == found.applied_total + await fees(settings)
    after = await cis_balances(settings)
    applied = await applied_by_account(settings)
    for number in ACCOUNTS:
        assert before[number] - after[number] == applied[number], number
    charges = await processor.charges()
    assert len({charge.reference for charge in charges}) == len(charges)  # one per payment
    await processor.aclose()
    statuses = [answer["status"] if answer else None for answer in answers]
    # The faults did their part: some payments went through at once, some were left to the
    # worker (a posting the CIS refused, a request cut short by the crash).
    assert "POSTED" in statuses
    assert "PENDING" in statuses
    assert finished_by_worker > 0


def planned_requests(card_token: str) -> list[dict[str, Any]]:
    chooser = random.Random(5)
    requests = []
    for _ in range(PAYMENTS):
        accounts = chooser.sample(ACCOUNTS, chooser.randint(1, 3))
        allocations = [
            {"accountNumber": number, "amount": f"{chooser.randint(100, 5000) / 100:.2f}"}
            for number in accounts
        ]
        requests.append({"key": str(uuid.uuid4()), "allocations": allocations, "token": card_token})
    requests += chooser.sample(requests, REPEATS)  # the same key and body again
    chooser.shuffle(requests)
    return requests


async def paid(
    http: httpx.AsyncClient, token: str, variables: dict[str, Any]
) -> dict[str, Any] | None:
    """What an app does: sends, and sends again with the same key until it gets an answer."""
    for _ in range(120):
        try:
            response = await http.post(
                "/graphql",
                json={"query": PAY, "variables": {**variables, "method": None}},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError:  # the gateway is down: try again shortly
            await asyncio.sleep(0.25)
            continue
        answer = response.json()
        if answer.get("data") and answer["data"].get("makePayment"):
            result: dict[str, Any] = answer["data"]["makePayment"]
            return result
        codes = [error["extensions"]["code"] for error in answer.get("errors", [])]
        if codes != ["CIS_UNAVAILABLE"]:
            raise AssertionError(answer)
        await asyncio.sleep(0.2)  # the CIS failed a read: nothing was recorded or charged
    return None


async def drain(settings: Settings) -> int:
    """The worker's rounds until nothing is left to do (time moved past every lease and
    retry); how many payments it took on."""
    cooperatives = load_cooperatives(settings.cooperatives)
    tried = 0
    async with start_gateway(settings, cooperatives) as gateway:
        services = gateway.services["custer-prairie"]
        for _ in range(20):
            later = utc_now() + timedelta(hours=2)
            if not (this_round := await finish_due_payments(services, later)):
                return tried
            tried += this_round
    raise AssertionError("the worker did not drain")


async def reconciled(settings: Settings) -> Any:
    cooperatives = load_cooperatives(settings.cooperatives)
    async with start_gateway(settings, cooperatives) as gateway:
        return await reconcile(gateway.services["custer-prairie"])


async def cis_balances(settings: Settings) -> dict[str, Decimal]:
    cooperatives = load_cooperatives(settings.cooperatives)
    async with start_gateway(settings, cooperatives) as gateway:
        accounts = await gateway.services["custer-prairie"].adapter.get_accounts(ACCOUNTS)
    return {number: account.balance.total for number, account in accounts.items()}


async def applied_by_account(settings: Settings) -> dict[str, Decimal]:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(PaymentAllocation.account_number, PaymentAllocation.amount)
                .join(PaymentAllocation.payment)
                .where(Payment.state == PaymentState.POSTED)
            )
            totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
            for number, amount in rows:
                totals[number] += amount
    finally:
        await engine.dispose()
    return totals


async def fees(settings: Settings) -> Decimal:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.scalars(
                select(Payment.fee).where(Payment.state == PaymentState.POSTED)
            )
            return sum(rows, Decimal("0.00"))
    finally:
        await engine.dispose()
