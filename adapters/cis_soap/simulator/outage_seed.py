"""Generated outages: two years of restored history, and the events in progress at start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from adapters.cis_soap.simulator import cycles
from adapters.cis_soap.simulator.dataset import Dataset
from adapters.cis_soap.simulator.demo import DEMO_CUSTOMER_IDS, DEMO_OUTAGE_LOCATION
from adapters.cis_soap.simulator.hashing import between, chance, mix, pick
from adapters.cis_soap.simulator.outages import OutageBook, OutageState
from adapters.cis_soap.simulator.specs import Feeder
from adapters.records import CrewStatus, OutageStatus

_CAUSES = (
    "Lightning",
    "Tree contact",
    "Wind",
    "Animal contact",
    "Equipment failure",
    "Ice loading",
    "Vehicle hit pole",
    "Underground fault",
)
_SALT_HISTORY, _SALT_LIVE = 71, 72


@dataclass(frozen=True, slots=True)
class _LiveEvent:
    cause: str | None
    status: OutageStatus
    crew_status: CrewStatus
    share: int  # about one in ``share`` of the feeder's locations is out
    started: int  # minutes before start-up
    restoration: int | None  # minutes after start-up


# The cabin's event, then events on feeders that serve no demo customer.
_CABIN_EVENT = _LiveEvent("Tree contact", OutageStatus.CONFIRMED, CrewStatus.DISPATCHED, 3, 95, 150)
_OTHER_EVENTS = (
    _LiveEvent("Equipment failure", OutageStatus.CONFIRMED, CrewStatus.ON_SITE, 1, 250, 55),
    _LiveEvent(None, OutageStatus.ASSUMED, CrewStatus.NOT_ASSIGNED, 9, 25, None),
)
_PLANNED_CAUSE = "Planned maintenance: pole replacement"


def add_history(book: OutageBook, dataset: Dataset, seed: int, zone: ZoneInfo, today: date) -> None:
    """Restored outages of the last two years, numbered and sequenced oldest first."""
    span_minutes = (cycles.HISTORY_MONTHS * 30 - 3) * 24 * 60
    first_day = datetime.combine(today - timedelta(days=cycles.HISTORY_MONTHS * 30), time(), zone)
    drafts = []
    for feeder_number, feeder in enumerate(sorted(dataset.feeders, key=lambda f: f.name)):
        served = [location.service_location_id for location in dataset.feeders[feeder]]
        for number in range(between(3, 8, mix(seed, feeder_number, _SALT_HISTORY))):
            hashed = mix(seed, feeder_number, number, _SALT_HISTORY)
            # Every feeder has lost power as a whole at least once.
            share = 1 if number == 0 else pick((3, 6, 12), hashed)
            start = _later(first_day, between(0, span_minutes, hashed >> 8), zone)
            drafts.append((start, feeder, _share_of(served, share, hashed), hashed))
    drafts.sort(key=lambda draft: draft[0])
    for number, (start, feeder, locations, hashed) in enumerate(drafts, start=1):
        planned = chance(80, hashed >> 4)
        book.add(
            OutageState(
                f"OE{number:06d}",
                OutageStatus.RESTORED,
                start,
                CrewStatus.COMPLETE,
                is_planned=planned,
                sequence=number,
                feeder=feeder,
                locations=locations,
                restored=frozenset(locations),
                cause="Planned maintenance" if planned else pick(_CAUSES, hashed >> 48),
                restored_at=_later(start, between(25, 540, hashed >> 32), zone),
            )
        )


def open_live_events(
    book: OutageBook, dataset: Dataset, seed: int, now: datetime, zone: ZoneInfo
) -> list[OutageState]:
    """The events in progress when the simulated co-op first starts: one at the demo cabin,
    and (co-op size permitting) a partly restored, a just-reported and a planned one
    elsewhere."""
    cabin = dataset.locations[DEMO_OUTAGE_LOCATION]
    elsewhere = sorted(
        {location.feeder for location in dataset.locations.values()} - _demo_feeders(dataset),
        key=lambda feeder: feeder.name,
    )
    feeders = [pick(elsewhere[n::3], mix(seed, n, _SALT_LIVE)) for n in range(3) if elsewhere[n::3]]
    minute = now.replace(second=0, microsecond=0)
    states = []
    for event, feeder in zip(
        (_CABIN_EVENT, *_OTHER_EVENTS), (cabin.feeder, *feeders[:2]), strict=False
    ):
        locations = _open_locations(dataset, feeder, event.share, seed)
        if feeder == cabin.feeder and cabin.service_location_id not in locations:
            locations = (cabin.service_location_id, *locations)
        state = book.open(
            feeder,
            locations,
            _later(minute, -event.started, zone),
            status=event.status,
            crew_status=event.crew_status,
            cause=event.cause,
            estimated_restoration=None
            if event.restoration is None
            else _later(minute, event.restoration, zone),
        )
        if event.crew_status is CrewStatus.ON_SITE:
            state.restored = frozenset(locations[::2])
        states.append(state)
    if len(feeders) == 3:
        tomorrow = now.date() + timedelta(days=1)
        states.append(
            book.open(
                feeders[2],
                _open_locations(dataset, feeders[2], 4, seed),
                datetime.combine(tomorrow, time(9), zone),
                status=OutageStatus.SCHEDULED,
                cause=_PLANNED_CAUSE,
                estimated_restoration=datetime.combine(tomorrow, time(13), zone),
            )
        )
    return states


def _later(instant: datetime, minutes: int, zone: ZoneInfo) -> datetime:
    """``minutes`` of real time after ``instant``, in ``zone``: counted in UTC, since
    arithmetic in a zone counts wall-clock time and lands in skipped or repeated hours."""
    return (instant.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(zone)


def _open_locations(dataset: Dataset, feeder: Feeder, share: int, seed: int) -> tuple[str, ...]:
    served = [
        location.service_location_id
        for location in dataset.feeders[feeder]
        if not dataset.accounts[location.account_number].closed
    ]
    return _share_of(served, share, mix(seed, share, _SALT_LIVE))


def _share_of(location_ids: list[str], share: int, hashed: int) -> tuple[str, ...]:
    """About one in ``share`` of the locations, chosen by ``hashed`` (at least one)."""
    chosen = tuple(loc for loc in location_ids if mix(hashed, _location_key(loc)) % share == 0)
    return chosen or tuple(location_ids[:1])


def _location_key(location_id: str) -> int:
    return int(location_id.removeprefix("SL").replace("-", ""))


def _demo_feeders(dataset: Dataset) -> set[Feeder]:
    return {
        location.feeder
        for customer_id in DEMO_CUSTOMER_IDS
        for account in dataset.accounts_by_customer[customer_id]
        for location in account.locations
    }
