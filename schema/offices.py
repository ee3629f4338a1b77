"""Where members can go: the co-op's offices and payment drop boxes, from its config file."""

from __future__ import annotations

import strawberry

from gateway.cooperatives import Office as OfficeConfig
from schema.enums import OfficeKind


@strawberry.input(description="A point to measure distances from, in WGS 84 degrees.")
class NearInput:
    lat: float
    lon: float


@strawberry.type
class Office:
    name: str
    kind: OfficeKind
    address: str
    latitude: float
    longitude: float
    hours: list[str] = strawberry.field(description="Opening hours, as lines of text.")
    phone: str | None
    distance_km: float | None = strawberry.field(
        description="Great-circle distance from `near`, in km; null without `near`."
    )

    @classmethod
    def from_config(cls, office: OfficeConfig, distance_km: float | None) -> Office:
        return cls(
            name=office.name,
            kind=office.kind,
            address=office.address,
            latitude=float(office.latitude),
            longitude=float(office.longitude),
            hours=list(office.hours),
            phone=office.phone,
            distance_km=None if distance_km is None else round(distance_km, 3),
        )
