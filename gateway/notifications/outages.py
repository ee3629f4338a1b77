"""Outage news from the CIS's outage change feed: an outage affecting the member's service
reported, its estimated restoration time (ETR) changed, power restored.

The job (one worker at a time, ``rounds``) asks the feed for the changes after the sequence
it read up to (kept in the database, ``jobs.move_cursor``), and records the news and the new
sequence in one transaction: a restart neither sends anything again (the log has it) nor
misses a change (the cursor moved only with the news). Most calls find nothing changed and
end there, before any read of the gateway's tables.

The first run only notes where the feed is: an outage already under way then is not news
by itself. Once it changes (a new ETR, say), its members are told of it, with the new ETR,
as of any outage they have not been told of.

When something changed, the subscribed accounts' service locations and their outage status
are read in two batch calls to see which open outage each location is in (a restored
outage has nobody in it, whatever a location's status still names). An ETR told with the
outage itself is logged SKIPPED under its ETR_CHANGED key, so only a later change is news.
A location that was told of an outage and is no longer in it (the outage restored, or the
location restored before the rest) is told power is back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.records import OutageEvent, OutageStatus, ServiceLocation
from gateway.context import Services
from gateway.notifications.addresses import address_text
from gateway.notifications.jobs import ClaimedJob, move_cursor, read_cursor
from gateway.notifications.kinds import OUTAGE_KINDS, NotificationKind
from gateway.notifications.log import News, record
from gateway.notifications.preferences import subscriptions
from gateway.store.notifications import LogState, NotificationLog

FAMILY = "outages"
_OPEN = (OutageStatus.ASSUMED, OutageStatus.CONFIRMED)

# (user, account) -> the address of its location in the outage
Affected = dict[tuple[int, str], str]


async def detect_outages(
    services: Services, now: datetime, claimed: ClaimedJob | None = None
) -> int:
    """Logs the news of the feed's changes since the last run; how many were new.
    ``claimed``: the round's claim of the job, which read the cursor (without one, it is
    read here)."""
    cooperative_id = services.cooperative.id
    cursor = claimed.cursor if claimed is not None else await read_cursor(services, FAMILY)
    feed = await services.adapter.get_active_outages(cursor or 0)
    if feed.latest_sequence == cursor:
        return 0  # nothing changed: no write either
    members = await _subscribed(services) if cursor is not None and feed.events else {}
    affected = await _affected_now(services, members, feed.events) if members else {}
    recorded = 0
    async with services.db.begin() as session:
        if members:
            told = await _told_of(session, cooperative_id, feed.events)
            for event in feed.events:
                recorded += await _record_event(
                    services, session, event, affected.get(event.outage_event_id, {}), told, now
                )
        await move_cursor(session, cooperative_id, FAMILY, feed.latest_sequence)
    return recorded


async def _subscribed(services: Services) -> dict[str, set[int]]:
    """Per account: the members who asked for outage news of it."""
    members: dict[str, set[int]] = defaultdict(set)
    for subscription in await subscriptions(services.db, services.cooperative.id, OUTAGE_KINDS):
        members[subscription.account_number].add(subscription.user_id)
    return members


async def _affected_now(
    services: Services, members: dict[str, set[int]], events: Sequence[OutageEvent]
) -> dict[str, Affected]:
    """Per open outage of ``events``: the subscribed members' accounts now in it."""
    open_now = {event.outage_event_id for event in events if event.status in _OPEN}
    if not open_now:
        return {}
    adapter = services.adapter
    locations = await adapter.get_service_locations(sorted(members))
    by_id: dict[str, ServiceLocation] = {
        location.service_location_id: location for found in locations.values() for location in found
    }
    statuses = await adapter.get_outage_status(sorted(by_id))
    affected: dict[str, Affected] = defaultdict(dict)
    for location_id, status in statuses.items():
        event_id = status.outage_event_id
        if event_id is None or event_id not in open_now:
            continue  # in no outage, or in one restored (or unchanged) since
        location = by_id[location_id]
        for user_id in members[location.account_number]:
            key = (user_id, location.account_number)
            affected[event_id][key] = address_text(location.service_address)
    return affected


async def _told_of(
    session: AsyncSession, cooperative_id: str, events: Sequence[OutageEvent]
) -> dict[str, Affected]:
    """Per outage: who was told of it, and at which address (from the log)."""
    rows = await session.execute(
        select(
            NotificationLog.occasion,
            NotificationLog.user_id,
            NotificationLog.account_number,
            NotificationLog.facts,
        ).where(
            NotificationLog.cooperative_id == cooperative_id,
            NotificationLog.kind == NotificationKind.OUTAGE_REPORTED,
            NotificationLog.occasion.in_([event.outage_event_id for event in events]),
        )
    )
    told: dict[str, Affected] = defaultdict(dict)
    for occasion, user_id, account_number, facts in rows:
        told[occasion][(user_id, account_number)] = facts["address"]
    return told


async def _record_event(
    services: Services,
    session: AsyncSession,
    event: OutageEvent,
    now_out: Affected,
    told: dict[str, Affected],
    now: datetime,
) -> int:
    cooperative = services.cooperative
    event_id = event.outage_event_id
    etr = event.estimated_restoration
    estimate = "No restoration time is estimated yet."
    if etr is not None:
        estimate = f"Power is expected back by {cooperative.local_time_text(etr)}."

    def news(kind: NotificationKind, key: tuple[int, str], occasion: str, **facts: str) -> News:
        user_id, number = key
        address = now_out[key] if key in now_out else told[event_id][key]
        facts |= {"account": number, "address": address}
        return News(user_id, number, kind, occasion, facts)

    reported = [
        news(
            NotificationKind.OUTAGE_REPORTED,
            key,
            event_id,
            started=cooperative.local_time_text(event.start_time),
            estimate=estimate,
        )
        for key in now_out
    ]
    first_told = {
        (user_id, number)
        for user_id, number, _, _ in await record(session, cooperative.id, reported, now)
    }
    recorded = len(first_told)
    if etr is not None:
        occasion = f"{event_id}@{etr.isoformat()}"
        restoration = cooperative.local_time_text(etr)
        changes = [
            news(NotificationKind.ETR_CHANGED, key, occasion, restoration=restoration)
            for key in now_out
        ]
        # Told with the outage itself: logged as such, so it is not news again.
        told_already = [item for item in changes if item.key[:2] in first_told]
        await record(session, cooperative.id, told_already, now, LogState.SKIPPED)
        recorded += len(await record(session, cooperative.id, changes, now))
    restored_at = cooperative.local_time_text(event.restored_at or now)
    back = [
        news(NotificationKind.POWER_RESTORED, key, event_id, restored_at=restored_at)
        for key in told.get(event_id, {})
        if key not in now_out
    ]
    recorded += len(await record(session, cooperative.id, back, now))
    return recorded
