"""Usage alerts on yesterday's local day, and the digest: the farm's 60 bills in one e-mail and
one text message, not 60 of each.

On November 17, 2026 the home's meter delivered 42.0 kWh (and took 18.7 kWh less back from
its solar panels than it sent, so about $2.62), the shop's 44.7 kWh, the cabin's 4.1 kWh
(about $1.59). The farm's 60 bills are dated November 16.
"""

from __future__ import annotations

from datetime import date

import httpx

from adapters.cis_soap.simulator.demo import DEMO_EMAIL, FARM_ACCOUNTS, FARM_EMAIL
from gateway.context import Services
from gateway.notifications.billing import detect_billing
from gateway.notifications.usage import detect_usage
from tests.gateway.live_gateway import graphql
from tests.gateway.mailbox import Mailbox
from tests.notifications.notifying import (
    PHONE,
    SET_DIGEST,
    add_sms_contact,
    local,
    prefer,
    received,
    send,
    subjects_to,
    texts_to,
)
from tests.notifications.served_cis import CIS_NOW
from tests.payments.paying import CABIN, HOME, SHOP

COOP = "Custer Prairie Electric Cooperative"


async def test_a_day_above_the_members_threshold_is_told_the_next_morning(
    http: httpx.AsyncClient, member: str, services: Services, mail: Mailbox
) -> None:
    await prefer(http, member, "USAGE_ALERT", account=HOME, kwh="40")
    await prefer(http, member, "USAGE_ALERT", account=SHOP, kwh="50")
    await prefer(http, member, "USAGE_ALERT", account=CABIN, cost="1.50")
    morning = local(CIS_NOW.date(), 8)
    assert await detect_usage(services, morning) == 2  # the shop stayed below
    assert await detect_usage(services, morning) == 0
    assert await send(services, morning) == 2

    texts = texts_to(await received(mail, 2), DEMO_EMAIL)
    assert [text.splitlines()[0] for text in texts] == [
        f"Account {HOME} (1418 S 9th Ave, Broken Bow, NE 68822) used 42.0 kWh (about $2.62)"
        " on November 17, 2026, above your alert at 40 kWh.",
        f"Account {CABIN} (212 Lakeview Rd, Lake cabin, Arnold, NE 69120) used 4.1 kWh"
        " (about $1.59) on November 17, 2026, above your alert at $1.50.",
    ]


async def test_a_digest_tells_the_farms_sixty_bills_in_one_message_per_address(
    http: httpx.AsyncClient, farmer: str, services: Services, mail: Mailbox
) -> None:
    await add_sms_contact(http, farmer, mail)
    await prefer(http, farmer, "BILL_READY", sms=True)
    assert (await graphql(http, SET_DIGEST, {"on": True}, token=farmer))["data"] == {
        "setNotificationDigest": True
    }
    morning = local(date(2026, 11, 18), 9)
    assert await detect_billing(services, morning) == 60
    assert await send(services, morning) == 2

    messages = await received(mail, 3)
    assert subjects_to(messages, FARM_EMAIL) == [f"{COOP}: 60 updates on your accounts"]
    [letter] = texts_to(messages, FARM_EMAIL)
    [text] = texts_to(messages, PHONE)[1:]
    for number in FARM_ACCOUNTS:
        assert f"for account {number} (" in letter
        assert f"for account {number} (" in text
    assert text.startswith(f"{COOP}: 60 updates on your accounts:")
    assert (
        f"- Your bill of $131.27 for account {FARM_ACCOUNTS[0]} (41003 Road 790, Farmhouse"
        " (Sec 28 T16N R18W), Ansley, NE 68814) is ready; it is due December 6, 2026." in letter
    )
