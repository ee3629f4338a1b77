"""Paying through the real gateway in tests: co-op files on the test's simulator and sandbox,
and the requests and reads the payment tests share."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import httpx

from adapters.cis_soap.simulator.demo import DEMO_ACCOUNTS
from gateway.cooperatives import load_cooperatives
from gateway.payments.processor import PaymentProcessor
from gateway.payments.sandbox import methods as test_numbers
from gateway.payments.sandbox_client import SandboxProcessor
from gateway.payments.worker import finish_due_payments
from gateway.runtime import start_gateway
from gateway.settings import Settings
from gateway.store.models import utc_now
from tests import cli_process
from tests.gateway.live_gateway import demo_coop_file, graphql
from tests.payments.sandbox import API_KEY, RunningSandbox
from tests.simulator_process import REPO, RunningSimulator, SimulatorControl

HOME, SHOP, CABIN = DEMO_ACCOUNTS
BALANCES = "{ viewer { accounts { number balance { total } } } }"
PAY = """mutation($key: String!, $allocations: [AllocationInput!]!, $method: Int, $token: String) {
  makePayment(idempotencyKey: $key, allocations: $allocations, paymentMethodId: $method,
              oneTimeToken: $token) {
    confirmationNumber status amount fee total method declineReason
    allocations { accountNumber amount }
  }
}"""
ADD_METHOD = """mutation($token: String!) {
  addPaymentMethod(token: $token, nickname: "my card") { id kind brand last4 isDefault }
}"""


class SoapService(Protocol):
    """A CIS to point the gateway at: a simulator process, or one served in the test's."""

    @property
    def soap_url(self) -> str: ...


def coop_file(folder: Path, cis: SoapService, sandbox: RunningSandbox, **payments: str) -> Path:
    path = demo_coop_file(folder, cis.soap_url)
    text = path.read_text()
    text = text.replace(
        'processor_url = "http://127.0.0.1:8002"', f'processor_url = "{sandbox.url}"'
    )
    text = text.replace('api_key = "sk_sandbox_demo"', f'api_key = "{API_KEY}"')
    for key, value in payments.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text)
    path.write_text(text)
    return path


async def balances(http: httpx.AsyncClient, token: str) -> dict[str, Decimal]:
    answer = await graphql(http, BALANCES, token=token)
    return {
        account["number"]: Decimal(account["balance"]["total"])
        for account in answer["data"]["viewer"]["accounts"]
    }


async def card(processor: PaymentProcessor, number: str = test_numbers.CARD_APPROVE) -> str:
    return (await processor.tokenize_card(number, 12, utc_now().year + 2, "123")).token


async def pay(
    http: httpx.AsyncClient,
    token: str,
    allocations: list[dict[str, str]],
    *,
    method: int | None = None,
    one_time: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    variables = {
        "key": key or str(uuid.uuid4()),
        "allocations": allocations,
        "method": method,
        "token": one_time,
    }
    return await graphql(http, PAY, variables, token=token)


async def pending(http: httpx.AsyncClient, token: str, number: str) -> dict[str, Any]:
    query = """query($n: String!) { viewer { account(number: $n) {
      pendingAmount pendingPayments { confirmationNumber amount } } } }"""
    answer = await graphql(http, query, {"n": number}, token=token)
    found: dict[str, Any] = answer["data"]["viewer"]["account"]
    return found


async def pending_payment(
    http: httpx.AsyncClient,
    token: str,
    cis: RunningSimulator,
    processor: SandboxProcessor,
    account_number: str,
    amount: str,
) -> dict[str, Any]:
    """A payment charged while the CIS cannot take it: left PENDING for the worker."""
    control = SimulatorControl(cis)
    control.set(fault_rate=1.0, fault_operations=["ProcessPaymentTransactions"])
    try:
        allocations = [{"accountNumber": account_number, "amount": amount}]
        answer = await pay(http, token, allocations, one_time=await card(processor))
    finally:
        control.set(fault_rate=0.0, fault_operations=[])
    paid: dict[str, Any] = answer["data"]["makePayment"]
    assert paid["status"] == "PENDING"
    return paid


def environment(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "COOP_GATEWAY_DATABASE_URL": settings.database_url,
        "COOP_GATEWAY_COOPERATIVES": ",".join(str(path) for path in settings.cooperatives),
        "COOP_GATEWAY_SMTP_PORT": str(settings.smtp.port),
    }


def coop_gateway(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``coop-gateway`` with ``arguments``, on the test's settings."""
    return cli_process.coop_gateway(arguments, env=environment(settings))


async def run_worker_once(settings: Settings) -> None:
    """What `coop-gateway worker` does on each round, due or not: every pending payment."""
    cooperatives = load_cooperatives(settings.cooperatives)
    async with start_gateway(settings, cooperatives) as gateway:
        for services in gateway.services.values():
            await finish_due_payments(services, utc_now() + timedelta(hours=1))


@asynccontextmanager
async def running_workers(settings: Settings, count: int = 1) -> AsyncIterator[None]:
    """``coop-gateway worker`` processes (a round every 0.2 s) for the block; stopped with
    SIGTERM after it, and each must end well."""
    workers = [
        subprocess.Popen(  # noqa: ASYNC220 - started once; the test awaits HTTP meanwhile
            [sys.executable, "-m", "gateway", "worker", "--interval", "0.2"],
            env=environment(settings),
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        # Waited for off the loop: the loop may run the mail sink a receipt goes to.
        ends = [await asyncio.to_thread(worker.communicate, timeout=30) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * count, [e for _, e in ends]
