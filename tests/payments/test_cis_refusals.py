"""After the charge: the CIS refusing a payment (a payment hold), and the account's payment
history while the CIS has not applied a payment yet. The real gateway over HTTP, the test's
own simulator, the sandbox processor and a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from adapters.cis_soap.adapter import SoapCisAdapter
from adapters.cis_soap.simulator.demo import DEMO_EMAIL
from adapters.records import PaymentChannel, PaymentTransaction, TenderType
from gateway.payments.processor import ChargeStatus
from gateway.payments.sandbox_client import SandboxProcessor
from gateway.settings import Settings
from tests.gateway.live_gateway import graphql
from tests.gateway.mailbox import Mailbox, text_of
from tests.payments.paying import (
    HOME,
    SHOP,
    balances,
    card,
    coop_gateway,
    pay,
    pending,
    pending_payment,
    run_worker_once,
)
from tests.simulator_process import RunningSimulator

HISTORY = """query($n: String!) { viewer { account(number: $n) {
  payments(first: 3) { nodes { id status amount externalReference madeAt postedAt } } } } }"""


async def history(http: httpx.AsyncClient, token: str, number: str) -> list[dict[str, Any]]:
    answer = await graphql(http, HISTORY, {"n": number}, token=token)
    nodes: list[dict[str, Any]] = answer["data"]["viewer"]["account"]["payments"]["nodes"]
    return nodes


async def cursor_of_newest(http: httpx.AsyncClient, token: str, number: str) -> str:
    query = """query($n: String!) { viewer { account(number: $n) {
      payments(first: 1) { edges { cursor } } } } }"""
    answer = await graphql(http, query, {"n": number}, token=token)
    cursor: str = answer["data"]["viewer"]["account"]["payments"]["edges"][0]["cursor"]
    return cursor


async def hold_payments(http: httpx.AsyncClient, cis: RunningSimulator, *numbers: str) -> None:
    answer = await http.post(f"{cis.control_url}/_sim/payment-holds", json={"accounts": numbers})
    assert answer.status_code == 200, answer.text


async def test_a_payment_the_cis_refuses_everywhere_is_refunded_in_full(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    mail: Mailbox,
    settings: Settings,
    cis: RunningSimulator,
) -> None:
    before = await balances(http, member)
    await hold_payments(http, cis, HOME)
    answer = await pay(
        http, member, [{"accountNumber": HOME, "amount": "4.00"}], one_time=await card(processor)
    )
    paid = answer["data"]["makePayment"]
    reference = paid["confirmationNumber"]
    assert paid["status"] == "REFUNDED"
    [charge] = await processor.charges()
    assert (charge.reference, charge.status) == (reference, ChargeStatus.REFUNDED)
    assert await balances(http, member) == before
    assert await pending(http, member, HOME) == {"pendingAmount": "0.00", "pendingPayments": []}
    assert all(
        row["externalReference"] != f"{reference}-1" for row in await history(http, member, HOME)
    )
    refunded = await mail.next_message(DEMO_EMAIL)
    assert refunded["Subject"].endswith(f"payment {reference} refunded")
    assert f"account {HOME}: $4.00" in text_of(refunded)
    reconciled = coop_gateway(settings, "payments", "reconcile")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr


async def test_a_payment_the_cis_refuses_on_one_account_is_left_for_staff(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    mail: Mailbox,
    settings: Settings,
    cis: RunningSimulator,
) -> None:
    before = await balances(http, member)
    await hold_payments(http, cis, SHOP)
    answer = await pay(
        http,
        member,
        [{"accountNumber": HOME, "amount": "3.00"}, {"accountNumber": SHOP, "amount": "2.00"}],
        one_time=await card(processor),
    )
    paid = answer["data"]["makePayment"]
    reference = paid["confirmationNumber"]
    assert paid["status"] == "NEEDS_ATTENTION"
    after = await balances(http, member)
    assert (before[HOME] - after[HOME], before[SHOP] - after[SHOP]) == (Decimal("3.00"), Decimal(0))
    [charge] = await processor.charges()
    assert charge.status is ChargeStatus.APPROVED  # kept: staff apply or refund the rest
    home, shop = await history(http, member, HOME), await history(http, member, SHOP)
    assert (home[0]["status"], home[0]["externalReference"]) == ("POSTED", f"{reference}-1")
    assert shop[0] | {"madeAt": None} == {
        "id": f"{reference}-2",
        "status": "NEEDS_ATTENTION",
        "amount": "2.00",
        "externalReference": f"{reference}-2",
        "madeAt": None,
        "postedAt": None,
    }
    # The member paid it: it counts against what they owe, so they are not asked again.
    assert (await pending(http, member, SHOP))["pendingAmount"] == "2.00"
    told = text_of(await mail.next_message(DEMO_EMAIL))
    assert f"account {HOME}: $3.00" in told
    assert f"account {SHOP}: $2.00" in told
    reconciled = coop_gateway(settings, "payments", "reconcile")
    assert reconciled.returncode == 1
    assert f"{reference}-2: $2.00 on account {SHOP}, refused:" in reconciled.stdout
    assert "0 differences; 1 refused by the CIS" in reconciled.stdout

    # Staff give the refused part back by hand, and say so.
    settled = coop_gateway(settings, "payments", "settle", reference, "refunded")
    assert (settled.returncode, settled.stdout) == (0, f"{reference} settled (refunded)\n")
    assert (await pending(http, member, SHOP))["pendingAmount"] == "0.00"
    assert coop_gateway(settings, "payments", "reconcile").returncode == 0
    again = coop_gateway(settings, "payments", "settle", reference, "refunded")
    assert again.returncode == 1
    assert "needs attention" in again.stderr


async def test_a_pending_payment_shows_once_in_the_history_until_and_after_it_is_applied(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    settings: Settings,
    cis: RunningSimulator,
) -> None:
    before = await balances(http, member)
    paid = await pending_payment(http, member, cis, processor, HOME, "6.00")
    external_reference = f"{paid['confirmationNumber']}-1"
    [newest, *_] = await history(http, member, HOME)
    pending_cursor = await cursor_of_newest(http, member, HOME)
    assert newest["madeAt"] is not None
    assert newest | {"madeAt": None} == {
        "id": external_reference,
        "status": "PENDING",
        "amount": "6.00",
        "externalReference": external_reference,
        "madeAt": None,
        "postedAt": None,
    }

    # The CIS applies it, and the gateway has not recorded that yet (as after a crash).
    adapter = SoapCisAdapter.create(cis.adapter_settings())
    try:
        await adapter.process_payments(
            [
                PaymentTransaction(
                    external_reference,
                    HOME,
                    Decimal("6.00"),
                    TenderType.CARD,
                    PaymentChannel.WEB,
                    datetime.now(UTC),
                )
            ]
        )
    finally:
        await adapter.aclose()
    rows = await history(http, member, HOME)
    assert [row["externalReference"] for row in rows].count(external_reference) == 1
    # A cursor taken on the pending row still points at it once the CIS has applied it.
    assert await cursor_of_newest(http, member, HOME) == pending_cursor
    assert rows[0]["status"] == "POSTED"
    assert rows[0]["id"].startswith("PAY")

    await run_worker_once(settings)  # records it as applied: the CIS answers "already applied"
    assert await history(http, member, HOME) == rows
    assert before[HOME] - (await balances(http, member))[HOME] == Decimal("6.00")
