"""Usage alerts on the last local days, and the digest: the farm's 60 bills in one e-mail
and one short text message, not 60 of each.

On November 16, 2026 the home's meter delivered 32.2 kWh and the shop's 53.0 kWh; on
November 17 the home's 42.0 kWh. The home is on a time-of-use rate: its days cost what the
usage page estimates hour by hour ($3.71 and $3.65; the base energy charge alone would make
November 17 $2.62). The farm's 60 bills are dated November 16.
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
    COOP,
    PHONE,
    SET_DIGEST,
    add_sms_contact,
    local,
    prefer,
    send,
    subjects_to,
    texts_to,
)
from tests.notifications.served_cis import CIS_NOW
from tests.payments.paying import HOME, SHOP

HOME_USAGE = f"""{{ viewer {{ account(number: "{HOME}") {{
  usage(resolution: DAILY, from: "2026-11-16", to: "2026-11-17") {{ estimatedCost }}
}} }} }}"""


async def test_days_above_the_members_thresholds_are_told_once_each(
    http: httpx.AsyncClient, member: str, services: Services, mail: Mailbox
) -> None:
    await prefer(http, member, "USAGE_ALERT", account=HOME, cost="3.60")
    await prefer(http, member, "USAGE_ALERT", account=SHOP, kwh="50")
    morning = local(CIS_NOW.date(), 8)
    # The day before yesterday counts too: meter data can come late.
    assert await detect_usage(services, morning) == 3
    assert await detect_usage(services, morning) == 0
    assert await send(services, morning) == 3

    days = (await graphql(http, HOME_USAGE, token=member))["data"]["viewer"]["account"]["usage"]
    costs = [day["estimatedCost"] for day in days]
    assert costs == ["3.71", "3.65"]  # as the usage page estimates them
    texts = texts_to(await mail.all_received(3), DEMO_EMAIL)
    assert [text.splitlines()[0] for text in texts] == [
        f"Account {HOME} (1418 S 9th Ave, Broken Bow, NE 68822) used 32.2 kWh (about $3.71)"
        " on November 16, 2026, above your alert at $3.60.",
        f"Account {HOME} (1418 S 9th Ave, Broken Bow, NE 68822) used 42.0 kWh (about $3.65)"
        " on November 17, 2026, above your alert at $3.60.",
        f"Account {SHOP} (44780 Road 798, Rivera Welding & Repair, Broken Bow, NE 68822) used"
        " 53.0 kWh (about $7.15) on November 16, 2026, above your alert at 50 kWh.",
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

    messages = await mail.all_received(3)
    assert subjects_to(messages, FARM_EMAIL) == [f"{COOP}: 60 updates on your accounts"]
    [letter] = texts_to(messages, FARM_EMAIL)
    [text] = texts_to(messages, PHONE)[1:]
    for number in FARM_ACCOUNTS:
        assert f"for account {number} (" in letter
    assert text == (
        f"{COOP}: 60 updates on your accounts (bills ready: 60)."
        f" Details: {services.cooperative.portal_url}"
    )
    assert (
        f"- Your bill of $131.27 for account {FARM_ACCOUNTS[0]} (41003 Road 790, Farmhouse"
        " (Sec 28 T16N R18W), Ansley, NE 68814) is ready; it is due December 6, 2026." in letter
    )
