"""Outages: events on the co-op's map, and the power status of a member's service."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import strawberry

from adapters import records
from schema.enums import CrewStatus, OutageEventStatus, PowerStatus
from schema.fields import field
from schema.geo import GeoPoint
from schema.info import GatewayInfo
from schema.node import Node, global_id

OUTAGE_TYPE = "Outage"


@strawberry.type(description="Where an outage is: its centre and outline, for maps.")
class OutageArea:
    centroid: GeoPoint
    polygon: list[GeoPoint]


@strawberry.type
class Outage(Node):
    event_id: str
    status: OutageEventStatus
    cause: str | None
    started_at: datetime
    estimated_restoration: datetime | None
    restored_at: datetime | None
    customers_affected: int
    customers_restored: int
    crew_status: CrewStatus
    is_planned: bool
    area: OutageArea

    @classmethod
    def from_record(cls, event: records.OutageEvent, zone: ZoneInfo) -> Outage:
        return cls(
            id=global_id(OUTAGE_TYPE, event.outage_event_id),
            event_id=event.outage_event_id,
            status=event.status,
            cause=event.cause,
            started_at=event.start_time.astimezone(zone),
            estimated_restoration=local_instant(event.estimated_restoration, zone),
            restored_at=local_instant(event.restored_at, zone),
            customers_affected=event.customers_affected,
            customers_restored=event.customers_restored,
            crew_status=event.crew_status,
            is_planned=event.is_planned,
            area=OutageArea(
                centroid=GeoPoint.from_record(event.area.centroid),
                polygon=[GeoPoint.from_record(point) for point in event.area.polygon],
            ),
        )


# Worst first: an account is as badly off as its worst service location.
_SEVERITY = (records.PowerStatus.POWER_OFF, records.PowerStatus.STATUS_UNKNOWN)


@strawberry.type(description="Whether a service (or an account's worst service) has power.")
class ServiceOutageStatus:
    power_status: PowerStatus
    estimated_restoration: datetime | None
    outage_event_id: strawberry.Private[str | None]

    @classmethod
    def worst(
        cls, statuses: list[records.LocationOutageStatus | None], zone: ZoneInfo
    ) -> ServiceOutageStatus:
        """The status of the worst-off location; STATUS_UNKNOWN when none is known."""
        known = [status for status in statuses if status is not None]
        for severity in _SEVERITY:
            for status in known:
                if status.power_status is severity:
                    return cls.from_record(status, zone)
        if known and len(known) == len(statuses):
            return cls.from_record(known[0], zone)
        return cls(
            power_status=records.PowerStatus.STATUS_UNKNOWN,
            estimated_restoration=None,
            outage_event_id=None,
        )

    @classmethod
    def from_record(
        cls, status: records.LocationOutageStatus, zone: ZoneInfo
    ) -> ServiceOutageStatus:
        return cls(
            power_status=status.power_status,
            estimated_restoration=local_instant(status.estimated_restoration, zone),
            outage_event_id=status.outage_event_id,
        )

    @field("The outage the service is in, if any.")
    async def outage(self, info: GatewayInfo) -> Outage | None:
        if self.outage_event_id is None:
            return None
        context = info.context
        event = await context.loaders.outages.load(self.outage_event_id)
        return None if event is None else Outage.from_record(event, context.cooperative.time_zone)


def local_instant(instant: datetime | None, zone: ZoneInfo) -> datetime | None:
    """``instant`` in the co-op's zone; None stays None."""
    return None if instant is None else instant.astimezone(zone)
