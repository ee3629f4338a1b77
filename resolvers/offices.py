"""The co-op's offices and drop boxes, nearest first: great-circle distance on a sphere."""

from __future__ import annotations

import math
from collections.abc import Sequence

from gateway.cooperatives import Office

EARTH_RADIUS_KM = 6371.0088  # the mean radius


def distance_km(latitude: float, longitude: float, office: Office) -> float:
    """Haversine distance from (latitude, longitude) to the office."""
    phi1, phi2 = math.radians(latitude), math.radians(float(office.latitude))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(office.longitude) - longitude)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def nearest(
    offices: Sequence[Office], latitude: float, longitude: float
) -> list[tuple[Office, float]]:
    by_distance = [(office, distance_km(latitude, longitude, office)) for office in offices]
    return sorted(by_distance, key=lambda pair: pair[1])
