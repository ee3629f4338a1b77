"""Autopay: an enrolled account's latest bill is drafted once, on its day, with a reminder
before and a message after; a bill above the member's ceiling is not drafted."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx

from adapters.cis_soap.simulator.demo import FARM_ACCOUNTS
from gateway.cooperatives import load_cooperatives
from gateway.payments.autopay import REMINDER_DAYS, run_autopay
from gateway.payments.sandbox_client import SandboxProcessor
from gateway.runtime import start_gateway
from gateway.settings import Settings
from tests.gateway.live_gateway import error_codes, graphql
from tests.gateway.mailbox import Mailbox
from tests.payments.paying import ADD_METHOD, CABIN, balances, card

ENROLL = """mutation($n: String!, $m: Int!, $days: Int!, $max: Money) {
  enrollAutopay(accountNumber: $n, paymentMethodId: $m, daysBeforeDue: $days, maxAmount: $max) {
    daysBeforeDue maxAmount nextDraft { date amount }
  }
}"""
LATEST_BILL = """query($n: String!) { viewer { account(number: $n) {
  bills(first: 1) { edges { node { dueDate } } } autopay { nextDraft { date amount } } } } }"""


async def enroll(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    *,
    days: int = 0,
    ceiling: str | None = None,
) -> dict[str, Any]:
    added = await graphql(http, ADD_METHOD, {"token": await card(processor)}, token=member)
    method = added["data"]["addPaymentMethod"]["id"]
    variables = {"n": CABIN, "m": method, "days": days, "max": ceiling}
    answer = await graphql(http, ENROLL, variables, token=member)
    enrolled: dict[str, Any] = answer["data"]["enrollAutopay"]
    return enrolled


async def latest_due_date(http: httpx.AsyncClient, member: str) -> date:
    answer = await graphql(http, LATEST_BILL, {"n": CABIN}, token=member)
    edges = answer["data"]["viewer"]["account"]["bills"]["edges"]
    return date.fromisoformat(edges[0]["node"]["dueDate"])


async def autopay_round(settings: Settings, today: date) -> int:
    """What the worker's autopay round does, on the co-op's ``today``."""
    cooperatives = load_cooperatives(settings.cooperatives)
    async with start_gateway(settings, cooperatives) as gateway:
        return await run_autopay(gateway.services["custer-prairie"], today)


async def subjects(mail: Mailbox, count: int) -> list[str]:
    """The subjects of the ``count`` messages received (and no more)."""
    return sorted(str(message["Subject"]) for message in await mail.all_received(count))


async def test_a_bill_is_drafted_once_on_its_day_with_a_reminder_before(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    settings: Settings,
    mail: Mailbox,
) -> None:
    owed = (await balances(http, member))[CABIN]
    due = await latest_due_date(http, member)
    enrolled = await enroll(http, member, processor, days=5)
    draft_on = due - timedelta(days=5)
    assert enrolled["nextDraft"] == {"date": draft_on.isoformat(), "amount": str(owed)}

    assert await autopay_round(settings, draft_on - timedelta(days=REMINDER_DAYS + 1)) == 0
    assert mail.received() == 0  # too early even for the reminder
    assert await autopay_round(settings, draft_on - timedelta(days=1)) == 0
    assert await autopay_round(settings, draft_on - timedelta(days=1)) == 0  # reminded once
    [reminder] = await subjects(mail, 1)
    assert reminder.endswith(f"automatic payment of ${owed} on {draft_on:%B %-d, %Y}")

    assert await autopay_round(settings, draft_on) == 1
    assert await autopay_round(settings, draft_on) == 0  # drafted once
    assert await autopay_round(settings, due) == 0
    assert (await balances(http, member))[CABIN] == Decimal("0.00")
    charges = await processor.charges()
    assert [(charge.amount, charge.status.value) for charge in charges] == [
        (owed + Decimal("1.95"), "APPROVED")  # the card fee of the demo co-op
    ]
    received = await subjects(mail, 3)
    assert any("automatic payment for account" in subject for subject in received)
    assert any("payment receipt" in subject for subject in received)


async def test_a_bill_above_the_ceiling_is_not_drafted_and_the_member_is_told(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    settings: Settings,
    mail: Mailbox,
) -> None:
    due = await latest_due_date(http, member)
    await enroll(http, member, processor, ceiling="10.00")
    assert await autopay_round(settings, due) == 0
    assert await processor.charges() == ()
    [subject] = await subjects(mail, 1)
    assert "automatic payment not made" in subject


async def test_autopay_is_for_the_members_own_accounts_and_can_be_cancelled(
    http: httpx.AsyncClient, member: str, processor: SandboxProcessor
) -> None:
    await enroll(http, member, processor)
    cancel = "mutation($n: String!) { cancelAutopay(accountNumber: $n) }"
    assert (await graphql(http, cancel, {"n": CABIN}, token=member))["data"] == {
        "cancelAutopay": True
    }
    answer = await graphql(http, LATEST_BILL, {"n": CABIN}, token=member)
    assert answer["data"]["viewer"]["account"]["autopay"] is None
    farm = {"n": FARM_ACCOUNTS[0], "m": 1, "days": 0, "max": None}
    assert error_codes(await graphql(http, ENROLL, farm, token=member)) == ["BAD_USER_INPUT"]
