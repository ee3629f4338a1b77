"""Billing news from the CIS: a bill ready, a due date coming, a due date missed; each told
once, in the co-op's daytime (08:00-20:00 Chicago time), and only as the member chose.

The simulator's data ends on November 18, 2026 (``CIS_NOW``): the home's bill of November 9
($91.87) is due November 29 (its bill of March 9 was $107.11, due March 29); the cabin owes
$258.80, of which $200.86 was due October 26, and its next due date is November 26.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from adapters.cis_soap.simulator.demo import DEMO_EMAIL
from gateway.context import Services
from gateway.notifications.billing import detect_billing
from tests.gateway.mailbox import Mailbox, text_of
from tests.notifications.notifying import COOP, local, prefer, send, texts_to
from tests.notifications.served_cis import CIS_NOW
from tests.payments.paying import CABIN, HOME

HOME_ADDRESS = "1418 S 9th Ave, Broken Bow, NE 68822"
CABIN_ADDRESS = "212 Lakeview Rd, Lake cabin, Arnold, NE 69120"


async def test_a_new_bill_is_told_once_and_not_before_eight_in_the_morning(
    http: httpx.AsyncClient, member: str, services: Services, mail: Mailbox
) -> None:
    await prefer(http, member, "BILL_READY", account=HOME)
    # Chicago's clocks went forward on March 8, 2026: 8 a.m. CDT on March 10 is 13:00 UTC
    # (it was 14:00 UTC the week before).
    before_eight = datetime(2026, 3, 10, 12, 59, 59, tzinfo=UTC)
    assert await detect_billing(services, before_eight) == 1  # the bill of March 9
    assert await send(services, before_eight) == 0  # logged; held until the day starts
    eight = datetime(2026, 3, 10, 13, tzinfo=UTC)
    assert await send(services, eight) == 1
    assert await detect_billing(services, eight) == 0  # the same bill is not news again
    assert await send(services, eight + timedelta(hours=1)) == 0

    [message] = await mail.all_received(1)
    assert message["To"] == DEMO_EMAIL
    assert str(message["Subject"]).strip() == f"{COOP}: your bill for account {HOME} is ready"
    assert (
        f"Your bill of $107.11 for account {HOME} ({HOME_ADDRESS}) is ready;"
        " it is due March 29, 2026." in text_of(message)
    )


async def test_due_dates_coming_and_missed_go_out_until_eight_in_the_evening(
    http: httpx.AsyncClient, member: str, services: Services, mail: Mailbox
) -> None:
    await prefer(http, member, "DUE_SOON", days=8)
    await prefer(http, member, "PAST_DUE")
    today = CIS_NOW.date()
    almost_eight = local(today, 19, 59, 59)
    assert await detect_billing(services, almost_eight) == 2  # the cabin's: 8 days, and late
    assert await send(services, almost_eight) == 2

    await prefer(http, member, "DUE_SOON", account=HOME, days=11)
    eight = local(today, 20)
    assert await detect_billing(services, eight) == 1  # the home's due date, 11 days away
    assert await send(services, eight) == 0
    assert await send(services, local(today + timedelta(days=1), 7, 59)) == 0
    assert await send(services, local(today + timedelta(days=1), 8)) == 1
    assert await detect_billing(services, local(today + timedelta(days=1), 8)) == 0

    texts = texts_to(await mail.all_received(3), DEMO_EMAIL)
    assert [text.splitlines()[0] for text in texts] == [
        f"Account {CABIN} ({CABIN_ADDRESS}) has $258.80 due on November 26, 2026.",
        f"Account {CABIN} ({CABIN_ADDRESS}) is past due: $200.86 was due October 26, 2026."
        " Please pay it to keep your service on.",
        f"Account {HOME} ({HOME_ADDRESS}) has $91.87 due on November 29, 2026.",
    ]


async def test_nothing_is_told_that_the_member_turned_off(
    http: httpx.AsyncClient, member: str, farmer: str, services: Services, mail: Mailbox
) -> None:
    noon = local(CIS_NOW.date(), 12)
    await prefer(http, member, "PAST_DUE")
    await prefer(http, member, "PAST_DUE", account=CABIN, email=False)  # but not the cabin
    assert await detect_billing(services, noon) == 0  # the farm asked for nothing at all

    await prefer(http, member, "PAST_DUE", account=CABIN)
    assert await detect_billing(services, noon) == 1
    await prefer(http, member, "PAST_DUE", account=CABIN, email=False)  # changed its mind
    assert await send(services, noon) == 0
    assert await mail.all_received(0) == []
