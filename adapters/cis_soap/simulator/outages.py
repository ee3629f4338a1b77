"""Outage events: two years of restored history, a few live events, and trouble calls.

History is generated per feeder from the seed. Live events (seeded at first start,
opened by trouble calls, or advanced by a test's control) are kept as mutable
``OutageState`` objects that the backend persists after every change. Each change takes
the next sequence number, so pollers can ask for what changed since the last one,
restorations included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from adapters.cis_soap.simulator.dataset import Dataset
from adapters.cis_soap.simulator.specs import Feeder, LocationSpec
from adapters.records import CrewStatus, GeoPoint, OutageArea, OutageEvent, OutageStatus

OPEN_STATUSES = (OutageStatus.ASSUMED, OutageStatus.CONFIRMED)
ACTIVE_STATUSES = (*OPEN_STATUSES, OutageStatus.SCHEDULED)
_AREA_MARGIN = Decimal("0.002")  # degrees around the affected meters


@dataclass(slots=True, eq=False)
class OutageState:
    outage_event_id: str
    status: OutageStatus
    start_time: datetime
    crew_status: CrewStatus
    is_planned: bool
    sequence: int
    feeder: Feeder
    locations: tuple[str, ...]  # service locations out (or to be taken out) by the event
    restored: frozenset[str] = frozenset()
    cause: str | None = None
    estimated_restoration: datetime | None = None
    restored_at: datetime | None = None
    area: OutageArea = field(init=False)  # set when the book takes the event in

    def is_out(self, location_id: str) -> bool:
        return self.status in OPEN_STATUSES and location_id not in self.restored

    def record(self) -> OutageEvent:
        return OutageEvent(
            outage_event_id=self.outage_event_id,
            status=self.status,
            start_time=self.start_time,
            customers_affected=len(self.locations),
            customers_restored=len(self.restored),
            crew_status=self.crew_status,
            is_planned=self.is_planned,
            area=self.area,
            sequence=self.sequence,
            cause=self.cause,
            estimated_restoration=self.estimated_restoration,
            restored_at=self.restored_at,
            substation=self.feeder.substation,
            feeder=self.feeder.name,
        )


class OutageBook:
    """Every outage event the CIS knows, indexed by the service locations it affects."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset
        self._events: dict[str, OutageState] = {}
        self._by_location: defaultdict[str, list[OutageState]] = defaultdict(list)
        self.sequence = 0

    def add(self, state: OutageState) -> None:
        """Take in a generated, seeded, loaded or newly opened event."""
        state.area = _area(self._dataset.locations[loc] for loc in state.locations)
        self._events[state.outage_event_id] = state
        for location_id in state.locations:
            self._by_location[location_id].append(state)
        self.sequence = max(self.sequence, state.sequence)

    def get(self, outage_event_id: str) -> OutageState | None:
        return self._events.get(outage_event_id)

    def changes(self, since_sequence: int) -> list[OutageState]:
        """Every active event for 0 (a snapshot), else every event changed after
        ``since_sequence``, restored ones included; oldest change first."""
        if since_sequence == 0:
            states = [state for state in self._events.values() if state.status in ACTIVE_STATUSES]
        else:
            states = [state for state in self._events.values() if state.sequence > since_sequence]
        return sorted(states, key=lambda state: state.sequence)

    def open_event_at(self, location_id: str) -> OutageState | None:
        return next((s for s in self._by_location[location_id] if s.is_out(location_id)), None)

    def events_at(self, location_ids: Iterable[str]) -> set[OutageState]:
        return {state for loc in location_ids for state in self._by_location.get(loc, ())}

    def touch(self, state: OutageState) -> None:
        """Give a changed event the next sequence number."""
        self.sequence += 1
        state.sequence = self.sequence

    def open(
        self,
        feeder: Feeder,
        locations: tuple[str, ...],
        start: datetime,
        *,
        status: OutageStatus = OutageStatus.ASSUMED,
        crew_status: CrewStatus = CrewStatus.NOT_ASSIGNED,
        cause: str | None = None,
        estimated_restoration: datetime | None = None,
    ) -> OutageState:
        """A new live event, numbered and sequenced after every known one."""
        self.sequence += 1
        state = OutageState(
            f"OE{len(self._events) + 1:06d}",
            status,
            start,
            crew_status,
            is_planned=status is OutageStatus.SCHEDULED,
            sequence=self.sequence,
            feeder=feeder,
            locations=locations,
            cause=cause,
            estimated_restoration=estimated_restoration,
        )
        self.add(state)
        return state

    def advance(
        self,
        state: OutageState,
        now: datetime,
        *,
        status: OutageStatus | None = None,
        crew_status: CrewStatus | None = None,
        estimated_restoration: datetime | None = None,
    ) -> None:
        """Move an event on, as the outage-management system would; restoring it restores
        every location and completes the crew's work unless told otherwise."""
        state.status = status or state.status
        state.crew_status = crew_status or state.crew_status
        state.estimated_restoration = estimated_restoration or state.estimated_restoration
        if status is OutageStatus.RESTORED:
            state.restored = frozenset(state.locations)
            state.restored_at = now
            state.crew_status = crew_status or CrewStatus.COMPLETE
        self.touch(state)


def _area(locations: Iterable[LocationSpec]) -> OutageArea:
    """The centroid of the affected meters and a rectangle around them."""
    points = [location.gps for location in locations]
    latitudes = [point.latitude for point in points]
    longitudes = [point.longitude for point in points]
    centroid = GeoPoint(
        (sum(latitudes, Decimal(0)) / len(points)).quantize(Decimal("0.000001")),
        (sum(longitudes, Decimal(0)) / len(points)).quantize(Decimal("0.000001")),
    )
    south, north = min(latitudes) - _AREA_MARGIN, max(latitudes) + _AREA_MARGIN
    west, east = min(longitudes) - _AREA_MARGIN, max(longitudes) + _AREA_MARGIN
    corners = ((south, west), (north, west), (north, east), (south, east))
    return OutageArea(centroid, tuple(GeoPoint(lat, lon) for lat, lon in corners))
