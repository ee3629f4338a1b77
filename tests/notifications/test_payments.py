"""Payment and autopay news, from the gateway's payments and autopay drafts: by SMS through
the e-mail-to-SMS gateway and to the account's other members, while the member whose
receipt or autopay e-mail already told them gets no second e-mail."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.demo import DEMO_EMAIL
from gateway.auth.users import create_user
from gateway.context import Services
from gateway.notifications.autopay import detect_autopay
from gateway.notifications.payments import detect_payments
from gateway.payments.autopay import run_autopay
from gateway.payments.sandbox import methods as test_numbers
from gateway.payments.sandbox_client import SandboxProcessor
from gateway.store.models import Role, utc_now
from tests.gateway.live_gateway import log_in
from tests.gateway.mailbox import Mailbox
from tests.notifications.notifying import (
    PHONE,
    add_sms_contact,
    local,
    next_noon,
    prefer,
    received,
    send,
    subjects_to,
    texts_to,
)
from tests.payments.paying import CABIN, HOME, SHOP, card, pay
from tests.payments.test_autopay import enroll
from tests.schema.harness import PASSWORD

COOP = "Custer Prairie Electric Cooperative"
SPOUSE = "sam.rivera@example.coop"  # a second login of the home account


async def test_payments_received_and_declined_are_told_once(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    mail: Mailbox,
) -> None:
    await add_sms_contact(http, member, mail)
    for kind in ("PAYMENT_RECEIVED", "PAYMENT_DECLINED"):
        await prefer(http, member, kind, sms=True)
    await create_user(sessions, services.cooperative.id, SPOUSE, PASSWORD, Role.MEMBER, [HOME])
    await prefer(http, await log_in(http, SPOUSE, PASSWORD), "PAYMENT_RECEIVED")

    paid = await pay(
        http, member, [{"accountNumber": HOME, "amount": "10.00"}], one_time=await card(processor)
    )
    declined = await pay(
        http,
        member,
        [{"accountNumber": SHOP, "amount": "5.00"}],
        one_time=await card(processor, test_numbers.CARD_DECLINE),
    )
    assert paid["data"]["makePayment"]["status"] == "POSTED"
    assert declined["data"]["makePayment"]["status"] == "DECLINED"
    confirmation = paid["data"]["makePayment"]["confirmationNumber"]

    noon = next_noon(utc_now())
    assert await detect_payments(services, noon) == 3  # received: both members; declined
    assert await send(services, noon) == 4
    assert await detect_payments(services, noon) == 0
    assert await send(services, noon) == 0

    # The code, the receipt, and the news: the payer's receipt told them by e-mail already.
    messages = await received(mail, 6)
    received_text = (
        f"A payment of $10.00 for account {HOME} (1418 S 9th Ave, Broken Bow, NE 68822)"
        f" was received; confirmation {confirmation}."
    )
    texts = texts_to(messages, PHONE)
    assert texts[1] == f"{COOP}: {received_text}"
    assert texts[2] == (
        f"{COOP}: A payment of $5.00 for account {SHOP} (44780 Road 798, Rivera Welding &"
        " Repair, Broken Bow, NE 68822) was not made: Your card was declined. Please pay another"
        f" way (confirmation {declined['data']['makePayment']['confirmationNumber']})."
    )
    assert subjects_to(messages, DEMO_EMAIL) == [
        f"{COOP}: payment receipt {confirmation}",
        f"{COOP}: payment for account {SHOP} was not made",
    ]
    [spouse] = texts_to(messages, SPOUSE)
    assert spouse.startswith(received_text)


async def test_autopay_news_goes_by_sms_beside_the_autopay_e_mails(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    services: Services,
    mail: Mailbox,
) -> None:
    await add_sms_contact(http, member, mail)
    for kind in ("AUTOPAY_UPCOMING", "AUTOPAY_DONE"):
        await prefer(http, member, kind, account=CABIN, sms=True)
    await enroll(http, member, processor)  # the cabin's bill due November 26, on its due date
    draft_on = date(2026, 11, 26)

    await run_autopay(services, date(2026, 11, 25))  # the reminder
    assert await detect_autopay(services, local(date(2026, 11, 25), 9)) == 1
    assert await send(services, local(date(2026, 11, 25), 9)) == 1
    assert await run_autopay(services, draft_on) == 1
    assert await detect_autopay(services, local(draft_on, 9)) == 1
    assert await send(services, local(draft_on, 9)) == 1
    assert await detect_autopay(services, local(draft_on, 10)) == 0

    messages = await received(mail, 6)  # and the reminder, the drafted e-mail, the receipt
    address = "212 Lakeview Rd, Lake cabin, Arnold, NE 69120"
    assert texts_to(messages, PHONE)[1:] == [
        f"{COOP}: On November 26, 2026 the balance of account {CABIN} ({address}), $258.80"
        " today, will be paid automatically.",
        f"{COOP}: The automatic payment for account {CABIN} ({address}) of $258.80 was paid.",
    ]
    assert len(subjects_to(messages, DEMO_EMAIL)) == 3  # the autopay round's own, no more
