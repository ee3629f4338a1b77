"""Usage markers: what a member notes on one of their accounts' usage, on a local day ("new
heat pump installed") or over a range of days ("vacation"). Create, change, delete, list.

A marker belongs to the login that made it: members sharing an account each keep their own,
and a member marks only accounts they may read (another's is NOT_FOUND, as everywhere).
Anything a member typed wrong is BAD_USER_INPUT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import ReturningInsert

from gateway.auth.sessions import Principal
from gateway.context import RequestContext
from gateway.store.models import ACCOUNT_NUMBER_LENGTH, User
from gateway.store.usage_markers import NAME_LENGTH, NOTE_LENGTH, UsageMarker
from resolvers.access import may_write, readable_account, signed_in
from resolvers.periods import MAX_HISTORY_YEARS, check_order, local_today, years_before
from schema.errors import BadUserInput, NotFound

# The longest range a marker covers, and the most days a comparison averages on each side of
# a point marker: a season (a calendar quarter). A comparison reads its days, as many before,
# and both a year earlier.
MAX_PERIOD_DAYS = 92
MAX_MARKERS_PER_ACCOUNT = 100  # per login: a list of comparisons stays a bounded read
MAX_DAYS_AHEAD = 366  # a vacation may be marked before it begins


@dataclass(frozen=True, slots=True)
class MarkerRequest:
    """A marker as a member asks for it: ``at`` alone, or ``first`` and ``last``."""

    name: str
    note: str | None
    at: date | None
    first: date | None
    last: date | None


async def create_marker(
    context: RequestContext, account_number: str, request: MarkerRequest
) -> UsageMarker:
    principal = may_write(context)
    if len(account_number) > ACCOUNT_NUMBER_LENGTH:  # no such account: not worth asking
        raise NotFound(f"no account {account_number}")
    readable_account(context, account_number)
    marker = UsageMarker(
        user_id=principal.user_id,
        cooperative_id=principal.cooperative_id,
        account_number=account_number,
        created_at=context.received_at,
    )
    _fill(context, marker, request)
    async with context.services.db.begin() as session:
        # Two creates at once must not both find room for one more. On PostgreSQL the
        # login's row is locked first, so they count one after the other; SQLite (where
        # FOR UPDATE is a no-op) runs one writing statement at a time, and the count is
        # part of the insert.
        await session.execute(select(User.id).where(User.id == principal.user_id).with_for_update())
        marker_id = await session.scalar(_insert_if_room(principal, marker))
        if marker_id is None:
            raise BadUserInput(
                f"at most {MAX_MARKERS_PER_ACCOUNT} markers per account: delete one first"
            )
    marker.id = marker_id  # the rest of its values are the ones inserted
    return marker


async def update_marker(
    context: RequestContext, marker_id: int, request: MarkerRequest
) -> UsageMarker:
    """Replaces every field of one of the member's markers (on an account they still read)."""
    principal = may_write(context)
    async with context.services.db.begin() as session:
        marker = await _own_marker(session, principal, marker_id)
        readable_account(context, marker.account_number)
        _fill(context, marker, request)
    return marker


async def delete_marker(context: RequestContext, marker_id: int) -> None:
    principal = may_write(context)
    async with context.services.db.begin() as session:
        await session.delete(await _own_marker(session, principal, marker_id))


async def _own_marker(session: AsyncSession, principal: Principal, marker_id: int) -> UsageMarker:
    marker = await session.scalar(
        select(UsageMarker).where(*_own(principal), UsageMarker.id == marker_id)
    )
    if marker is None:
        raise NotFound("no such usage marker")
    return marker


async def account_markers(context: RequestContext, account_number: str) -> Sequence[UsageMarker]:
    """The member's markers on an account they may read, latest day first."""
    principal = signed_in(context)
    return await context.store.usage_markers(principal.user_id).load(account_number)


def _own(principal: Principal) -> tuple[ColumnElement[bool], ...]:
    return (
        UsageMarker.cooperative_id == principal.cooperative_id,
        UsageMarker.user_id == principal.user_id,
    )


def _insert_if_room(principal: Principal, marker: UsageMarker) -> ReturningInsert[int]:
    """INSERT ... SELECT of the unsaved ``marker``'s values, which inserts nothing when the
    login has the most markers allowed on its account already; returns the new id."""
    table = UsageMarker.__table__
    columns = [column for column in table.columns if column.key != "id"]
    markers = (
        select(func.count())
        .select_from(table)
        .where(*_own(principal), UsageMarker.account_number == marker.account_number)
        .scalar_subquery()
    )
    values = select(*(literal(getattr(marker, column.key), column.type) for column in columns))
    return (
        insert(UsageMarker)
        .from_select(columns, values.where(markers < MAX_MARKERS_PER_ACCOUNT))
        .returning(UsageMarker.id)
    )


def _fill(context: RequestContext, marker: UsageMarker, request: MarkerRequest) -> None:
    marker.name = _name(request.name)
    marker.note = _note(request.note)
    marker.first_day, marker.last_day = _days(context, request)
    marker.updated_at = context.received_at


def _name(text: str) -> str:
    name = " ".join(text.split())  # one line
    if not name:
        raise BadUserInput("a marker needs a name")
    if len(name) > NAME_LENGTH:
        raise BadUserInput(f"a marker's name has at most {NAME_LENGTH} characters")
    if not name.isprintable():
        raise BadUserInput("a marker's name has characters that cannot be shown")
    return name


def _note(text: str | None) -> str | None:
    note = (text or "").strip()
    if len(note) > NOTE_LENGTH:
        raise BadUserInput(f"a marker's note has at most {NOTE_LENGTH} characters")
    # Lines and tabs, but no other control characters (PostgreSQL refuses NUL, for one).
    if not all(char.isprintable() or char in "\r\n\t" for char in note):
        raise BadUserInput("a marker's note has characters that cannot be shown")
    return note or None


def _days(context: RequestContext, request: MarkerRequest) -> tuple[date, date | None]:
    """``at`` for a point, ``from`` and ``to`` for a range: within the usage history kept
    and at most a year ahead, a range at most ``MAX_PERIOD_DAYS`` long."""
    if request.at is not None:
        if request.first is not None or request.last is not None:
            raise BadUserInput("give either at, or from and to")
        first, last = request.at, None
    elif request.first is not None and request.last is not None:
        check_order(request.first, request.last)
        if (request.last - request.first).days + 1 > MAX_PERIOD_DAYS:
            raise BadUserInput(f"a marked range covers at most {MAX_PERIOD_DAYS} days")
        first, last = request.first, request.last
    else:
        raise BadUserInput("give either at, or from and to")
    today = local_today(context)
    earliest, latest = years_before(today, MAX_HISTORY_YEARS), today + timedelta(MAX_DAYS_AHEAD)
    if first < earliest or (last or first) > latest:
        raise BadUserInput(f"a marker's days are between {earliest} and {latest}")
    return first, last
