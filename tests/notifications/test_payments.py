"""Payment and autopay news, from the gateway's payments and autopay drafts: by SMS through
the e-mail-to-SMS gateway and to the account's other members, while the member whose
receipt, refund or autopay e-mail already told them gets no second e-mail. A payment the
CIS refused is told as not made (refunded), or as received for the part it applied."""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import DEMO_EMAIL
from gateway.auth.users import create_user
from gateway.context import Services
from gateway.notifications.autopay import detect_autopay
from gateway.notifications.payments import detect_payments
from gateway.payments.autopay import run_autopay
from gateway.payments.sandbox import methods as test_numbers
from gateway.payments.sandbox_client import SandboxProcessor
from gateway.payments.settle import Settlement, settle
from gateway.store.models import Role, utc_now
from tests.gateway.live_gateway import log_in
from tests.gateway.mailbox import Mailbox
from tests.notifications.notifying import (
    COOP,
    PHONE,
    add_sms_contact,
    local,
    next_noon,
    prefer,
    send,
    subjects_to,
    texts_to,
)
from tests.notifications.served_cis import ServedCis
from tests.payments.paying import CABIN, HOME, SHOP, card, pay
from tests.payments.test_autopay import enroll
from tests.schema.harness import PASSWORD

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
    messages = await mail.all_received(6)
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


async def test_payments_the_cis_refused_are_told_as_not_made_or_received_in_part(
    http: httpx.AsyncClient,
    member: str,
    processor: SandboxProcessor,
    services: Services,
    sessions: async_sessionmaker[AsyncSession],
    cis: ServedCis,
    mail: Mailbox,
) -> None:
    cooperative = services.cooperative.id
    await create_user(sessions, cooperative, SPOUSE, PASSWORD, Role.MEMBER, [HOME, SHOP])
    spouse = await log_in(http, SPOUSE, PASSWORD)
    for kind in ("PAYMENT_RECEIVED", "PAYMENT_DECLINED"):
        await prefer(http, spouse, kind)

    async def hold_the_shop(backend: SimulatedCis) -> None:
        backend.hold_payments([SHOP])

    await cis.run(hold_the_shop)
    shop = {"accountNumber": SHOP, "amount": "5.00"}
    refunded = (await pay(http, member, [shop], one_time=await card(processor)))["data"]
    home = {"accountNumber": HOME, "amount": "10.00"}
    in_part = (await pay(http, member, [home, shop], one_time=await card(processor)))["data"]
    assert refunded["makePayment"]["status"] == "REFUNDED"
    assert in_part["makePayment"]["status"] == "NEEDS_ATTENTION"

    noon = next_noon(utc_now())
    assert await detect_payments(services, noon) == 2  # the refund; the part applied
    settled = in_part["makePayment"]["confirmationNumber"]
    assert await settle(services, settled, Settlement.APPLIED)
    assert await detect_payments(services, noon) == 0  # the part settled is staff's to tell
    assert await send(services, noon) == 2

    messages = await mail.all_received(4)  # and the payer's refund and needs-attention e-mails
    assert [text.splitlines()[0] for text in texts_to(messages, SPOUSE)] == [
        f"A payment of $5.00 for account {SHOP} (44780 Road 798, Rivera Welding & Repair,"
        " Broken Bow, NE 68822) was not made: the co-op could not apply it to the account, and"
        " it was refunded. Please pay another way (confirmation"
        f" {refunded['makePayment']['confirmationNumber']}).",
        f"A payment of $10.00 for account {HOME} (1418 S 9th Ave, Broken Bow, NE 68822) was"
        f" received; confirmation {settled}.",
    ]


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

    messages = await mail.all_received(6)  # and the reminder, the drafted e-mail, the receipt
    address = "212 Lakeview Rd, Lake cabin, Arnold, NE 69120"
    assert texts_to(messages, PHONE)[1:] == [
        f"{COOP}: On November 26, 2026 the balance of account {CABIN} ({address}), $258.80"
        " today, will be paid automatically.",
        f"{COOP}: The automatic payment for account {CABIN} ({address}) of $258.80 was paid.",
    ]
    assert len(subjects_to(messages, DEMO_EMAIL)) == 3  # the autopay round's own, no more
