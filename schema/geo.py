"""Places on the map: coordinates and postal addresses."""

from __future__ import annotations

import strawberry

from adapters import records


@strawberry.type(description="WGS 84 coordinates in degrees.")
class GeoPoint:
    latitude: float
    longitude: float

    @classmethod
    def from_record(cls, point: records.GeoPoint) -> GeoPoint:
        return cls(latitude=float(point.latitude), longitude=float(point.longitude))


@strawberry.type
class Address:
    line1: str
    line2: str | None
    city: str
    state: str
    postal_code: str

    @classmethod
    def from_record(cls, address: records.Address) -> Address:
        return cls(
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            state=address.state,
            postal_code=address.postal_code,
        )
