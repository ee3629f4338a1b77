"""Outage news from the CIS's outage feed: reported, a new restoration estimate, restored; at
any hour, once each, across a restart; a worker that dies while sending is relieved; one
worker at a time reads the feed, and its cursor never goes back.

The simulated CIS starts with the demo cabin in outage OE000107, since before the worker's
first run: not news until it changes; the test opens another at the home with a trouble
call.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

import httpx
from sqlalchemy import select

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import DEMO_EMAIL, DEMO_HOME_LOCATION
from adapters.contract import CisAdapter
from adapters.records import LocationOutageStatus, OutageReport, OutageReportKind, OutageStatus
from gateway.context import Services
from gateway.cooperatives import load_cooperatives
from gateway.mail import Mailer
from gateway.notifications.jobs import move_cursor, read_cursor
from gateway.notifications.kinds import OUTAGE_KINDS, NotificationKind
from gateway.notifications.log import LEASE, claim
from gateway.notifications.outages import FAMILY, detect_outages
from gateway.notifications.rounds import notification_round
from gateway.notifications.sms import sms_sender
from gateway.outbox import Outbox
from gateway.payments.steps import retry_delay
from gateway.runtime import start_gateway
from gateway.settings import Settings
from gateway.store.notifications import NotificationLog
from tests.gateway.mailbox import Mailbox
from tests.notifications.notifying import (
    BOTH_DATABASES,
    COOP,
    at,
    local,
    prefer,
    send,
    subjects_to,
    texts_to,
)
from tests.notifications.served_cis import CIS_NOW, ServedCis
from tests.payments.paying import CABIN, HOME
from tests.resolvers.counting import CountingCis

CABIN_OUTAGE = "OE000107"
NIGHT = local(CIS_NOW.date(), 2)  # outage news does not wait for the morning
ETR = CIS_NOW + timedelta(hours=3)  # 1:37 PM CST


async def trouble_call(cis: ServedCis) -> str:
    """A member calls in the home's power as out: the CIS opens an outage; its id."""
    report = OutageReport(HOME, DEMO_HOME_LOCATION, OutageReportKind.NO_POWER, CIS_NOW)

    async def call(backend: SimulatedCis) -> str:
        [receipt] = await backend.submit_outage_reports([report])
        return receipt.outage_event_id

    return await cis.run(call)


async def advance(cis: ServedCis, event_id: str, **change: object) -> None:
    async def move(backend: SimulatedCis) -> None:
        await backend.advance_outage(event_id, **change)  # type: ignore[arg-type]

    await cis.run(move)


@BOTH_DATABASES
async def test_outages_are_told_once_each_at_any_hour_and_across_a_restart(
    http: httpx.AsyncClient,
    member: str,
    services: Services,
    settings: Settings,
    cis: ServedCis,
    mail: Mailbox,
) -> None:
    for kind in ("OUTAGE_REPORTED", "ETR_CHANGED", "POWER_RESTORED"):
        await prefer(http, member, kind)
    assert await detect_outages(services, NIGHT) == 0  # the first run notes where the feed is

    home_outage = await trouble_call(cis)
    assert await detect_outages(services, NIGHT) == 1
    await advance(cis, CABIN_OUTAGE, estimated_restoration=ETR)
    assert await detect_outages(services, NIGHT) == 1  # the cabin's outage, with its ETR
    await advance(cis, home_outage, estimated_restoration=ETR)
    assert await detect_outages(services, NIGHT) == 1  # the home's new ETR
    assert await detect_outages(services, NIGHT) == 0
    assert await send(services, NIGHT) == 3

    # A restart: the feed is read on from where it was, nothing is told twice.
    await advance(cis, CABIN_OUTAGE, status=OutageStatus.RESTORED)
    cooperatives = load_cooperatives(settings.cooperatives)
    async with start_gateway(settings, cooperatives) as restarted:
        again = restarted.services["custer-prairie"]
        assert await detect_outages(again, NIGHT) == 1
        assert await send(again, NIGHT) == 1
        assert await detect_outages(again, NIGHT) == 0

    messages = await mail.all_received(4)
    assert subjects_to(messages, DEMO_EMAIL) == [
        f"{COOP}: power outage at account {HOME}",
        f"{COOP}: power outage at account {CABIN}",
        f"{COOP}: new restoration estimate for account {HOME}",
        f"{COOP}: power restored at account {CABIN}",
    ]
    home, cabin, etr, restored = (text.splitlines()[0] for text in texts_to(messages, DEMO_EMAIL))
    assert home.startswith(f"An outage affecting account {HOME} (1418 S 9th Ave, Broken Bow,")
    assert home.endswith("No restoration time is estimated yet.")
    assert cabin.startswith(f"An outage affecting account {CABIN} (212 Lakeview Rd, Lake cabin,")
    assert cabin.endswith("Power is expected back by November 18, 2026 at 1:37 PM CST.")
    assert etr.endswith("is now expected back by November 18, 2026 at 1:37 PM CST.")
    assert restored.endswith("since November 18, 2026 at 10:37 AM CST.")


@BOTH_DATABASES
async def test_news_a_dying_worker_was_sending_is_sent_once_its_lease_runs_out(
    http: httpx.AsyncClient, member: str, services: Services, cis: ServedCis, mail: Mailbox
) -> None:
    await prefer(http, member, "OUTAGE_REPORTED")
    await detect_outages(services, NIGHT)
    await trouble_call(cis)
    assert await detect_outages(services, NIGHT) == 1

    taken = await claim(services, at(NIGHT), OUTAGE_KINDS, 0)  # ...and the worker dies
    assert taken is not None
    assert len(taken.rows) == 1
    assert await send(services, NIGHT + LEASE - timedelta(seconds=1)) == 0  # still its own
    assert await send(services, NIGHT + LEASE) == 1
    assert await send(services, NIGHT + LEASE) == 0
    [message] = await mail.all_received(1)
    assert str(message["Subject"]).strip() == f"{COOP}: power outage at account {HOME}"


async def test_news_the_mail_server_refused_is_sent_again_after_a_while(
    http: httpx.AsyncClient, member: str, services: Services, cis: ServedCis, mail: Mailbox
) -> None:
    await prefer(http, member, "OUTAGE_REPORTED")
    await detect_outages(services, NIGHT)
    await trouble_call(cis)
    assert await detect_outages(services, NIGHT) == 1

    nobody = socket.socket()
    nobody.bind(("127.0.0.1", 0))  # a port no server listens on while the socket is held
    try:
        smtp = replace(mail.smtp, port=nobody.getsockname()[1])
        down = replace(services, outbox=Outbox(Mailer(smtp)))
        assert await send(down, NIGHT) == 0
    finally:
        nobody.close()
    assert await send(services, NIGHT) == 0  # its retry is due a little later
    assert await send(services, NIGHT + retry_delay(1)) == 1
    assert len(await mail.all_received(1)) == 1


class LastOutageNamed:
    """The CIS as some answer: a location whose power is back still names its last outage."""

    def __init__(self, cis: CisAdapter, location: str, outage: str) -> None:
        self.cis, self.location, self.outage = cis, location, outage

    def __getattr__(self, method: str) -> Any:
        return getattr(self.cis, method)

    async def get_outage_status(self, locations: Sequence[str]) -> dict[str, LocationOutageStatus]:
        found = dict(await self.cis.get_outage_status(locations))
        status = found.get(self.location)
        if status is not None and status.outage_event_id is None:
            found[self.location] = replace(status, outage_event_id=self.outage)
        return found


async def test_a_restored_outage_is_told_restored_whatever_a_location_still_names(
    http: httpx.AsyncClient, member: str, services: Services, cis: ServedCis
) -> None:
    for kind in ("OUTAGE_REPORTED", "POWER_RESTORED"):
        await prefer(http, member, kind)
    await detect_outages(services, NIGHT)
    home_outage = await trouble_call(cis)
    assert await detect_outages(services, NIGHT) == 1

    await advance(cis, home_outage, status=OutageStatus.RESTORED)
    await advance(cis, CABIN_OUTAGE, estimated_restoration=ETR)  # an open one changes too
    quirky = LastOutageNamed(services.adapter, DEMO_HOME_LOCATION, home_outage)
    assert await detect_outages(replace(services, adapter=cast(CisAdapter, quirky)), NIGHT) == 2
    async with services.db() as session:
        news = list(
            await session.execute(
                select(NotificationLog.kind, NotificationLog.occasion).order_by(NotificationLog.id)
            )
        )
    assert news == [
        (NotificationKind.OUTAGE_REPORTED, home_outage),
        (NotificationKind.POWER_RESTORED, home_outage),
        (NotificationKind.OUTAGE_REPORTED, CABIN_OUTAGE),
        (NotificationKind.ETR_CHANGED, f"{CABIN_OUTAGE}@{ETR.isoformat()}"),
    ]


@BOTH_DATABASES
async def test_one_worker_reads_the_feed_at_a_time_and_its_cursor_never_goes_back(
    http: httpx.AsyncClient, member: str, services: Services
) -> None:
    await prefer(http, member, "OUTAGE_REPORTED")
    counting = CountingCis(services.adapter)
    watched = replace(services, adapter=counting.as_adapter())
    sms = sms_sender(watched)
    await notification_round(watched, sms, at(NIGHT))
    await notification_round(watched, sms, at(NIGHT + timedelta(seconds=0.5)))  # another worker
    assert counting.calls["get_active_outages"] == 1
    await notification_round(watched, sms, at(NIGHT + timedelta(seconds=1)))
    assert counting.calls["get_active_outages"] == 2

    # A worker that read the feed up to an older sequence (its lease ran out) comes last.
    cooperative = services.cooperative.id
    newest = await read_cursor(services, FAMILY)
    assert newest is not None
    async with services.db.begin() as session:
        await move_cursor(session, cooperative, FAMILY, newest - 1)
    assert await read_cursor(services, FAMILY) == newest
