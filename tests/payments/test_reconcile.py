"""`payments reconcile` under the conditions it meets in production: payments going on while
it reads the three ledgers, and another co-op charging under the same processor key."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

import httpx

from gateway.cooperatives import load_cooperatives
from gateway.payments.processor import Charge
from gateway.payments.reconcile import reconcile
from gateway.payments.sandbox_client import SandboxProcessor
from gateway.runtime import start_gateway
from gateway.settings import Settings
from tests.gateway.live_gateway import SECOND_COOP_ID, second_coop_file
from tests.payments.paying import HOME, SHOP, card, pay
from tests.payments.sandbox import API_KEY, RunningSandbox
from tests.simulator_process import RunningSimulator


class PayingWhileRead(SandboxProcessor):
    """The sandbox's client, with a member paying just as the ledger is read."""

    def __init__(self, sandbox: RunningSandbox, pay_now: Callable[[], Awaitable[None]]) -> None:
        super().__init__(sandbox.url, API_KEY)
        self._pay_now = pay_now

    async def charges(self) -> tuple[Charge, ...]:
        await self._pay_now()
        return await super().charges()


async def test_a_payment_made_while_reconciling_is_in_flight_not_a_difference(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    settings: Settings,
    sandbox: RunningSandbox,
) -> None:
    one_time = await card(processor)
    await pay(http, member, [{"accountNumber": HOME, "amount": "1.50"}], one_time=one_time)
    made: list[str] = []

    async def pay_now() -> None:
        allocations = [{"accountNumber": SHOP, "amount": "2.50"}]
        answer = await pay(http, member, allocations, one_time=await card(processor))
        made.append(answer["data"]["makePayment"]["confirmationNumber"])

    async with start_gateway(settings, load_cooperatives(settings.cooperatives)) as gateway:
        services = gateway.services["custer-prairie"]
        paying = PayingWhileRead(sandbox, pay_now)
        try:
            found = await reconcile(dataclasses.replace(services, processor=paying))
        finally:
            await paying.aclose()
    assert found.differences == []
    assert found.in_flight == made
    card_fee = Decimal("1.95")  # the demo co-op's
    assert found.charged_total == Decimal("1.50") + Decimal("2.50") + 2 * card_fee


async def test_charges_of_another_co_op_on_the_same_processor_key_are_not_differences(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    settings: Settings,
    sandbox: RunningSandbox,
    cis: RunningSimulator,
    tmp_path: Path,
) -> None:
    allocations = [{"accountNumber": HOME, "amount": "1.00"}]
    await pay(http, member, allocations, one_time=await card(processor))
    second = second_coop_file(tmp_path, cis.soap_url)
    second.write_text(
        second.read_text()
        + f'\n[payments]\nprocessor_url = "{sandbox.url}"\napi_key = "{API_KEY}"\n'
    )
    both = dataclasses.replace(settings, cooperatives=(*settings.cooperatives, second))
    async with start_gateway(both, load_cooperatives(both.cooperatives)) as gateway:
        found = await reconcile(gateway.services[SECOND_COOP_ID])
    assert (found.payments, found.charged_total, found.differences) == (0, Decimal(0), [])
