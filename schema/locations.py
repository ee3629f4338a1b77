"""Service locations (where power is delivered) and their meters."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from adapters import records
from schema.enums import MeterKind, PowerStatus, ServiceStatus
from schema.geo import Address, GeoPoint
from schema.info import GatewayInfo
from schema.outages import ServiceOutageStatus


@strawberry.type
class Meter:
    number: str
    kind: MeterKind
    is_net_metered: bool
    multiplier: Decimal

    @classmethod
    def from_record(cls, meter: records.Meter) -> Meter:
        return cls(
            number=meter.meter_number,
            kind=meter.kind,
            is_net_metered=meter.is_net_metered,
            multiplier=meter.multiplier,
        )


@strawberry.type
class ServiceLocation:
    id: strawberry.ID = strawberry.field(description="The CIS's service location id.")
    address: Address
    service_type: str
    revenue_class: str
    status: ServiceStatus
    power_status: PowerStatus = strawberry.field(
        description="As the CIS last recorded it; outageStatus asks the outage system."
    )
    geo: GeoPoint | None
    meter_numbers: strawberry.Private[tuple[str, ...]]

    @classmethod
    def from_record(cls, location: records.ServiceLocation) -> ServiceLocation:
        return cls(
            id=strawberry.ID(location.service_location_id),
            address=Address.from_record(location.service_address),
            service_type=location.service_type,
            revenue_class=location.revenue_class,
            status=location.service_status,
            power_status=location.power_status,
            geo=None if location.gps is None else GeoPoint.from_record(location.gps),
            meter_numbers=location.meter_numbers,
        )

    @strawberry.field
    async def meters(self, info: GatewayInfo) -> list[Meter] | None:
        found = await info.context.loaders.meters.load_many(self.meter_numbers)
        return [Meter.from_record(meter) for meter in found if meter is not None]

    @strawberry.field
    async def outage_status(self, info: GatewayInfo) -> ServiceOutageStatus | None:
        context = info.context
        status = await context.loaders.outage_status.load(self.id)
        return ServiceOutageStatus.worst([status], context.cooperative.time_zone)
