"""Usage markers on an account and what each compares; create, update and delete them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from gateway.store.usage_markers import NAME_LENGTH, NOTE_LENGTH
from gateway.store.usage_markers import UsageMarker as StoredMarker
from resolvers.periods import MAX_HISTORY_YEARS
from resolvers.usage_comparison import DEFAULT_DAYS, ComparedDays, compared_days, compared_figures
from resolvers.usage_markers import (
    MAX_PERIOD_DAYS,
    MarkerRequest,
    account_markers,
    create_marker,
    delete_marker,
    update_marker,
)
from schema.fields import field, mutation
from schema.info import GatewayInfo
from schema.usage_periods import UsagePeriod

ComparisonDays = Annotated[
    int,
    strawberry.argument(
        description=(
            f"Days each side of a point marker: 1 to {MAX_PERIOD_DAYS}, default {DEFAULT_DAYS}."
        )
    ),
]


@strawberry.type(description="Usage before a marker against the usage it marks.")
class ComparedUsage:
    before: UsagePeriod = strawberry.field(
        description=(
            "The days just before: as many as `days` before a point marker's day, or a range"
            " as long as the marked one."
        )
    )
    marked: UsagePeriod = strawberry.field(
        description=(
            "The days after a point marker's day (the day itself is in neither), or the"
            " marked range."
        )
    )


@strawberry.type(description="A marker's comparison, and the same days a year earlier.")
class UsageComparison(ComparedUsage):
    account_number: strawberry.Private[str]
    days: strawberry.Private[ComparedDays]

    @field("The same days a year earlier (28 February stands for a 29th).")
    async def year_earlier(self, info: GatewayInfo) -> ComparedUsage | None:
        return await _compared(info, self.account_number, self.days.year_earlier())


@strawberry.type(
    description=(
        "A member's note on an account's usage: on a day (`at`: new heat pump installed) or"
        " over a range of days (`from`-`to`: vacation). Only its author sees it."
    )
)
class UsageMarker:
    id: int
    account_number: str
    name: str
    note: str | None
    at: date | None = strawberry.field(description="A point marker's local day.")
    from_: date | None = strawberry.field(name="from", description="A range's first local day.")
    to: date | None = strawberry.field(description="A range's last local day.")
    created_at: datetime
    updated_at: datetime
    stored: strawberry.Private[StoredMarker]

    @field(
        "Average daily usage and estimated cost before the marker against after it (or within"
        " its range), and the same days a year earlier."
    )
    async def comparison(
        self, info: GatewayInfo, days: ComparisonDays = DEFAULT_DAYS
    ) -> UsageComparison | None:
        compared = compared_days(self.stored, days)
        periods = await _compared(info, self.account_number, compared)
        return UsageComparison(
            before=periods.before,
            marked=periods.marked,
            account_number=self.account_number,
            days=compared,
        )

    @classmethod
    def of(cls, marker: StoredMarker, info: GatewayInfo) -> UsageMarker:
        zone = info.context.cooperative.time_zone
        point = marker.last_day is None
        return cls(
            id=marker.id,
            account_number=marker.account_number,
            name=marker.name,
            note=marker.note,
            at=marker.first_day if point else None,
            from_=None if point else marker.first_day,
            to=marker.last_day,
            created_at=marker.created_at.astimezone(zone),
            updated_at=marker.updated_at.astimezone(zone),
            stored=marker,
        )


async def _compared(info: GatewayInfo, account_number: str, days: ComparedDays) -> ComparedUsage:
    before, marked = await compared_figures(info.context, account_number, days)
    return ComparedUsage(before=UsagePeriod.of(before), marked=UsagePeriod.of(marked))


async def usage_markers(info: GatewayInfo, account_number: str) -> list[UsageMarker]:
    markers = await account_markers(info.context, account_number)
    return [UsageMarker.of(marker, info) for marker in markers]


@strawberry.input(description="A marker: `name`, and either `at` or `from` and `to`.")
class UsageMarkerInput:
    name: str = strawberry.field(description=f"1 to {NAME_LENGTH} characters, on one line.")
    note: str | None = strawberry.field(
        default=None, description=f"At most {NOTE_LENGTH} characters."
    )
    at: date | None = strawberry.field(
        default=None,
        description=f"A local day, at most {MAX_HISTORY_YEARS} years back and a year ahead.",
    )
    from_: date | None = strawberry.field(
        default=None,
        name="from",
        description=f"A range's first day; a range is 1 to {MAX_PERIOD_DAYS} days.",
    )
    to: date | None = strawberry.field(default=None, description="A range's last day.")

    def request(self) -> MarkerRequest:
        return MarkerRequest(self.name, self.note, self.at, self.from_, self.to)


@strawberry.type
class UsageMarkerMutations:
    @mutation("Marks a day or a range of days on one of the member's accounts.")
    async def create_usage_marker(
        self, info: GatewayInfo, account_number: str, marker: UsageMarkerInput
    ) -> UsageMarker:
        stored = await create_marker(info.context, account_number, marker.request())
        return UsageMarker.of(stored, info)

    @mutation("Replaces a marker's name, note and days.")
    async def update_usage_marker(
        self, info: GatewayInfo, id: int, marker: UsageMarkerInput
    ) -> UsageMarker:
        return UsageMarker.of(await update_marker(info.context, id, marker.request()), info)

    @mutation("Deletes one of the member's markers.")
    async def delete_usage_marker(self, info: GatewayInfo, id: int) -> bool:
        await delete_marker(info.context, id)
        return True
