"""Paying through GraphQL over HTTP: the real gateway, a CIS simulator of the test's own
(payments change its balances), the sandbox processor, a real SMTP server, SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.cis_soap.simulator.demo import DEMO_EMAIL, FARM_ACCOUNTS, FARM_EMAIL
from gateway.app import create_app
from gateway.cooperatives import load_cooperatives
from gateway.payments.sandbox import methods as test_numbers
from gateway.payments.sandbox_client import SandboxProcessor
from gateway.payments.steps import LEASE
from gateway.payments.worker import claim_due
from gateway.runtime import start_gateway
from gateway.settings import Settings
from gateway.store.models import utc_now
from gateway.store.payments import Payment
from tests.cis_soap.local_server import serving
from tests.gateway.live_gateway import error_codes, graphql, log_in
from tests.gateway.mailbox import Mailbox
from tests.payments.paying import (
    ADD_METHOD,
    CABIN,
    HOME,
    SHOP,
    balances,
    card,
    coop_file,
    coop_gateway,
    pay,
    pending,
    pending_payment,
    run_worker_once,
    running_workers,
)
from tests.payments.sandbox import RunningSandbox
from tests.schema.harness import PASSWORD
from tests.simulator_process import RunningSimulator
from tests.waiting import eventually


async def test_partial_amounts_on_two_accounts_with_a_stored_card(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    mail: Mailbox,
    settings: Settings,
) -> None:
    added = await graphql(http, ADD_METHOD, {"token": await card(processor)}, token=member)
    stored = added["data"]["addPaymentMethod"]
    assert (stored["kind"], stored["brand"], stored["last4"], stored["isDefault"]) == (
        "CARD",
        "VISA",
        "4242",
        True,
    )
    before = await balances(http, member)
    answer = await pay(
        http,
        member,
        [{"accountNumber": HOME, "amount": "12.34"}, {"accountNumber": SHOP, "amount": "5.00"}],
        method=stored["id"],
    )
    paid = answer["data"]["makePayment"]
    assert (paid["status"], paid["amount"], paid["fee"], paid["total"]) == (
        "POSTED",
        "17.34",
        "1.95",  # the demo co-op's flat card fee
        "19.29",
    )
    after = await balances(http, member)
    assert before[HOME] - after[HOME] == Decimal("12.34")
    assert before[SHOP] - after[SHOP] == Decimal("5.00")
    assert after[CABIN] == before[CABIN]
    receipt = await mail.next_message(DEMO_EMAIL)
    assert paid["confirmationNumber"] in receipt["Subject"]
    charges = await processor.charges()
    assert [(c.reference, c.amount) for c in charges] == [
        (paid["confirmationNumber"], Decimal("19.29"))
    ]
    reconciled = coop_gateway(settings, "payments", "reconcile")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert "processor charged 19.29; CIS applied 17.34; 0 in flight; 0 differences" in (
        reconciled.stdout
    )


async def test_pay_the_total_due_on_all_accounts_with_a_bank_account(
    http: httpx.AsyncClient, member: str, processor: SandboxProcessor
) -> None:
    bank = await processor.tokenize_bank_account(
        test_numbers.BANK_ROUTING, test_numbers.BANK_ACCOUNT_APPROVE
    )
    before = await balances(http, member)
    answer = await graphql(
        http,
        """mutation($key: String!, $token: String) {
          payTotalDue(idempotencyKey: $key, oneTimeToken: $token) { status fee total
            allocations { accountNumber amount } }
        }""",
        {"key": str(uuid.uuid4()), "token": bank.token},
        token=member,
    )
    paid = answer["data"]["payTotalDue"]
    owing = {number: total for number, total in before.items() if total > 0}
    assert owing  # or the checks below would pass on nothing
    assert paid["status"] == "POSTED"
    assert paid["fee"] == "0.00"  # no fee on bank accounts in the demo co-op
    assert {line["accountNumber"]: Decimal(line["amount"]) for line in paid["allocations"]} == owing
    after = await balances(http, member)
    assert all(after[number] == 0 for number in owing)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        (test_numbers.CARD_DECLINE, "DECLINED"),
        (test_numbers.CARD_INSUFFICIENT_FUNDS, "INSUFFICIENT_FUNDS"),
        (test_numbers.CARD_EXPIRED, "EXPIRED"),
    ],
)
async def test_a_decline_charges_nothing_and_moves_no_balance(
    http: httpx.AsyncClient, member: str, processor: SandboxProcessor, number: str, reason: str
) -> None:
    before = await balances(http, member)
    answer = await pay(
        http,
        member,
        [{"accountNumber": HOME, "amount": "20.00"}],
        one_time=await card(processor, number),
    )
    paid = answer["data"]["makePayment"]
    assert (paid["status"], paid["declineReason"]) == ("DECLINED", reason)
    assert await balances(http, member) == before
    assert [charge.status.value for charge in await processor.charges()] == ["DECLINED"]


async def test_a_repeated_key_answers_the_first_payment_and_another_body_conflicts(
    http: httpx.AsyncClient, member: str, processor: SandboxProcessor
) -> None:
    token = await card(processor)
    key = str(uuid.uuid4())
    allocation = [{"accountNumber": HOME, "amount": "3.00"}]
    first = (await pay(http, member, allocation, one_time=token, key=key))["data"]["makePayment"]
    again = (await pay(http, member, allocation, one_time=token, key=key))["data"]["makePayment"]
    assert again == first
    assert len(await processor.charges()) == 1
    other = await pay(
        http, member, [{"accountNumber": HOME, "amount": "4.00"}], one_time=token, key=key
    )
    assert error_codes(other) == ["IDEMPOTENCY_CONFLICT"]


@pytest.mark.parametrize(
    "allocations",
    [
        [{"accountNumber": HOME, "amount": "1.005"}],
        [{"accountNumber": HOME, "amount": "-5.00"}],
        [{"accountNumber": HOME, "amount": "0.00"}],
        [{"accountNumber": FARM_ACCOUNTS[0], "amount": "5.00"}],  # the farm's, not the member's
        [{"accountNumber": HOME, "amount": "5.00"}, {"accountNumber": HOME, "amount": "1.00"}],
        [{"accountNumber": HOME, "amount": "5000.01"}],  # over the co-op's maximum
        [],
    ],
)
async def test_bad_allocations_are_bad_input_and_charge_nothing(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    allocations: list[dict[str, str]],
) -> None:
    answer = await pay(http, member, allocations, one_time=await card(processor))
    assert error_codes(answer) == ["BAD_USER_INPUT"]
    assert await processor.charges() == ()


async def test_a_removed_payment_method_cannot_pay(
    http: httpx.AsyncClient, member: str, processor: SandboxProcessor
) -> None:
    added = await graphql(http, ADD_METHOD, {"token": await card(processor)}, token=member)
    method_id = added["data"]["addPaymentMethod"]["id"]
    removed = await graphql(
        http, f"mutation {{ removePaymentMethod(id: {method_id}) }}", token=member
    )
    assert removed["data"] == {"removePaymentMethod": True}
    answer = await pay(http, member, [{"accountNumber": HOME, "amount": "5.00"}], method=method_id)
    assert error_codes(answer) == ["BAD_USER_INPUT"]
    listed = await graphql(http, "{ viewer { paymentMethods { id } } }", token=member)
    assert listed["data"]["viewer"]["paymentMethods"] == []


async def test_a_repeat_after_posting_answers_the_first_payment(
    http: httpx.AsyncClient, member: str, processor: SandboxProcessor
) -> None:
    query = """mutation($key: String!, $token: String, $accounts: [String!]) {
      payTotalDue(idempotencyKey: $key, accountNumbers: $accounts, oneTimeToken: $token) {
        confirmationNumber status total } }"""
    variables = {"key": str(uuid.uuid4()), "token": await card(processor), "accounts": [CABIN]}
    first = await graphql(http, query, variables, token=member)
    assert first["data"]["payTotalDue"]["status"] == "POSTED"
    # Nothing is due now, yet the same request answers the payment it made.
    assert await graphql(http, query, variables, token=member) == first
    assert len(await processor.charges()) == 1


async def test_a_payment_from_the_mobile_app_reaches_the_cis_as_mobile(
    http: httpx.AsyncClient, demo_users: None, processor: SandboxProcessor
) -> None:
    login = """mutation($e: String!, $p: String!) {
      login(email: $e, password: $p, clientKind: MOBILE) { token } }"""
    answer = await graphql(http, login, {"e": DEMO_EMAIL, "p": PASSWORD})
    phone = answer["data"]["login"]["token"]
    paid = await pay(
        http, phone, [{"accountNumber": SHOP, "amount": "1.23"}], one_time=await card(processor)
    )
    reference = paid["data"]["makePayment"]["confirmationNumber"]
    history = """query($n: String!) { viewer { account(number: $n) {
      payments(first: 1) { edges { node { amount channel externalReference } } } } } }"""
    answer = await graphql(http, history, {"n": SHOP}, token=phone)
    [edge] = answer["data"]["viewer"]["account"]["payments"]["edges"]
    assert edge["node"] == {
        "amount": "1.23",
        "channel": "MOBILE",
        "externalReference": f"{reference}-1",
    }


async def test_other_members_methods_and_read_only_tokens_cannot_pay(
    http: httpx.AsyncClient, member: str, processor: SandboxProcessor
) -> None:
    farm = await log_in(http, FARM_EMAIL, PASSWORD)
    token = await card(processor)
    farm_method = (await graphql(http, ADD_METHOD, {"token": token}, token=farm))["data"]
    method_id = farm_method["addPaymentMethod"]["id"]
    allocation = [{"accountNumber": HOME, "amount": "5.00"}]
    assert error_codes(await pay(http, member, allocation, method=method_id)) == ["BAD_USER_INPUT"]
    assert error_codes(await pay(http, member, allocation, one_time=token)) == ["BAD_USER_INPUT"]
    create = 'mutation { createAccessToken(name: "read") { token } }'
    read_only = (await graphql(http, create, token=member))["data"]["createAccessToken"]["token"]
    other_card = await card(processor)
    assert error_codes(await pay(http, read_only, allocation, one_time=other_card)) == ["FORBIDDEN"]
    assert await processor.charges() == ()


async def test_a_processor_that_does_not_answer_is_a_coded_error(
    database_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
    cis: RunningSimulator,
    sandbox: RunningSandbox,
    demo_users: None,
) -> None:
    path = coop_file(tmp_path, cis, sandbox)
    path.write_text(path.read_text().replace(sandbox.url, "http://127.0.0.1:9"))
    settings = Settings(database_url=database_url, cooperatives=(path,))
    with serving(create_app(settings), lifespan="on") as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            token = await log_in(client, DEMO_EMAIL, PASSWORD)
            answer = await graphql(client, ADD_METHOD, {"token": "tok_anything"}, token=token)
    assert error_codes(answer) == ["PAYMENT_PROCESSOR_UNAVAILABLE"]


async def test_a_charge_the_processor_never_makes_fails_after_the_retries(
    http: httpx.AsyncClient, member: str, processor: SandboxProcessor, settings: Settings
) -> None:
    before = await balances(http, member)
    token = await card(processor, test_numbers.CARD_PROCESSOR_ERROR)
    answer = await pay(http, member, [{"accountNumber": HOME, "amount": "9.99"}], one_time=token)
    paid = answer["data"]["makePayment"]
    assert paid["status"] == "PENDING"
    assert (await pending(http, member, HOME))["pendingAmount"] == "9.99"

    await run_worker_once(settings)  # every retry, until it gives up
    assert (await pending(http, member, HOME))["pendingAmount"] == "0.00"
    assert await balances(http, member) == before
    assert await processor.charges() == ()
    assert coop_gateway(settings, "payments", "reconcile").returncode == 0


async def test_overpayment_is_refused_where_the_co_op_says_so(
    database_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
    cis: RunningSimulator,
    sandbox: RunningSandbox,
    processor: SandboxProcessor,
    demo_users: None,
) -> None:
    settings = Settings(
        database_url=database_url,
        cooperatives=(coop_file(tmp_path, cis, sandbox, allow_overpayment="false"),),
    )
    with serving(create_app(settings), lifespan="on") as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            token = await log_in(client, DEMO_EMAIL, PASSWORD)
            owed = (await balances(client, token))[CABIN]
            too_much = str(owed + Decimal("0.01"))
            answer = await pay(
                client,
                token,
                [{"accountNumber": CABIN, "amount": too_much}],
                one_time=await card(processor),
            )
    assert error_codes(answer) == ["BAD_USER_INPUT"]
    assert f"owes ${owed}" in answer["errors"][0]["message"]


async def test_a_charge_the_cis_cannot_take_is_pending_until_the_worker_posts_it(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    settings: Settings,
    cis: RunningSimulator,
) -> None:
    before = await balances(http, member)
    paid = await pending_payment(http, member, cis, processor, HOME, "7.50")
    assert len(await processor.charges()) == 1  # charged once, not applied yet
    assert await balances(http, member) == before
    assert await pending(http, member, HOME) == {
        "pendingAmount": "7.50",
        "pendingPayments": [{"confirmationNumber": paid["confirmationNumber"], "amount": "7.50"}],
    }

    await run_worker_once(settings)
    after = await balances(http, member)
    assert before[HOME] - after[HOME] == Decimal("7.50")
    assert len(await processor.charges()) == 1
    assert await pending(http, member, HOME) == {"pendingAmount": "0.00", "pendingPayments": []}


async def test_a_charge_whose_answer_was_lost_is_found_not_charged_again(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    sandbox: RunningSandbox,
    settings: Settings,
) -> None:
    before = await balances(http, member)
    await sandbox.set_faults(charge_then_fail_rate=1.0)
    answer = await pay(
        http, member, [{"accountNumber": SHOP, "amount": "2.25"}], one_time=await card(processor)
    )
    await sandbox.set_faults(charge_then_fail_rate=0.0)
    assert answer["data"]["makePayment"]["status"] == "PENDING"
    assert coop_gateway(settings, "payments", "reconcile").returncode == 0  # in flight is fine

    async def applied() -> bool:
        return (await balances(http, member))[SHOP] != before[SHOP]

    # The worker, as its own process, asks the processor before charging again.
    async with running_workers(settings):
        # The retry is due 5 s after the failure.
        await eventually(applied, "the worker applies the payment", within=15, every=0.1)
    assert before[SHOP] - (await balances(http, member))[SHOP] == Decimal("2.25")
    assert len(await processor.charges()) == 1


async def test_a_late_round_still_leases_for_the_full_lease(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    settings: Settings,
    cis: RunningSimulator,
) -> None:
    await pending_payment(http, member, cis, processor, HOME, "1.25")
    round_began = utc_now() - timedelta(minutes=2)  # a round that has run for two minutes
    async with start_gateway(settings, load_cooperatives(settings.cooperatives)) as gateway:
        services = gateway.services["custer-prairie"]
        async with services.db.begin() as session:
            await session.execute(update(Payment).values(next_attempt_at=round_began))
        [claimed] = await claim_due(services, round_began)
        async with services.db() as session:
            leased_until = await session.scalar(
                select(Payment.leased_until).where(Payment.id == claimed)
            )
    assert leased_until is not None
    assert leased_until >= utc_now() + LEASE - timedelta(seconds=5)
