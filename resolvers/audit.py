"""Staff reads of member data written to the audit log, and the log read back for staff;
and a member's own changes made through a request.

A staff read is written once per request for each account or member it touched: a query
asking ``account(number: "x")`` under two aliases (or also as ``node``) read the account
once, as far as its member is concerned. Members reading their own accounts are not
audited. A read waits for its event to be written, so no data leaves unaudited.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.auth.audit import AuditKind, record
from gateway.auth.sessions import Principal
from gateway.auth.users import normalize_email
from gateway.context import RequestContext
from gateway.store.models import AuditEvent, Role, User, UserAccount
from resolvers.access import signed_in
from resolvers.pagination import Page, check_page_size, cursor_of, key_of
from schema.errors import BadUserInput

DEFAULT_AUDIT_PAGE_SIZE = 50
MAX_AUDIT_PAGE_SIZE = 200


class AuditNotWritten(RuntimeError):
    """The staff read's event could not be written, so the read is refused."""


@dataclass(frozen=True, slots=True)
class AuditRow:
    """An event as staff read it: user ids resolved to e-mail addresses (None once deleted)."""

    id: int
    at: datetime  # UTC
    kind: str
    member_email: str | None
    actor_email: str | None
    account_number: str | None
    client_address: str | None
    detail: str | None


async def audit_account_read(context: RequestContext, account_number: str) -> None:
    """Audits a read of the account as a staff read unless it is one of the asker's own
    (members read theirs; so does a staff user with linked accounts)."""
    if account_number not in signed_in(context).account_numbers:
        await audit_staff_read(context, account_number=account_number)


async def audit_staff_read(
    context: RequestContext,
    *,
    account_number: str | None = None,
    member_email: str | None = None,
) -> None:
    """Writes a STAFF_READ event of the account or member when a staff user asks; returns
    once it is written (raises `AuditNotWritten` if another field's write of it failed)."""
    principal = context.principal
    if principal is None or principal.role is not Role.STAFF:
        return
    email = None if member_email is None else normalize_email(member_email)
    reads = context.staff_reads
    key = (account_number, email)
    pending = reads.get(key)
    if pending is not None:
        # Shielded: this field's cancellation must not cancel the other field's wait.
        if not await asyncio.shield(pending):
            raise AuditNotWritten("the audit log could not be written")
        return
    # Claimed before the first await, so fields resolving side by side write it once.
    written = reads[key] = asyncio.get_running_loop().create_future()
    try:
        await _write(context, principal, account_number, email)
    except BaseException:
        del reads[key]  # a later field may try again
        written.set_result(False)
        raise
    written.set_result(True)


async def _write(
    context: RequestContext, principal: Principal, account_number: str | None, email: str | None
) -> None:
    cooperative_id = context.cooperative.id
    async with context.services.db.begin() as session:
        if email is not None:
            member_id = await session.scalar(
                select(User.id).where(User.cooperative_id == cooperative_id, User.email == email)
            )
        else:
            member_id = await _only_member_of(session, cooperative_id, account_number)
        record(
            session,
            cooperative_id,
            AuditKind.STAFF_READ,
            context.origin,
            at=context.received_at,
            user_id=member_id,
            actor_user_id=principal.user_id,
            account_number=account_number,
            detail="member" if email is not None else "account",
        )


async def _only_member_of(
    session: AsyncSession, cooperative_id: str, account_number: str | None
) -> int | None:
    """The login the account is linked to, when exactly one is (else the event names none;
    ``auditEvents(memberEmail:)`` still finds it through the member's linked accounts)."""
    if account_number is None:
        return None
    linked = await session.scalars(
        select(UserAccount.user_id)
        .where(
            UserAccount.cooperative_id == cooperative_id,
            UserAccount.account_number == account_number,
        )
        .limit(2)
    )
    users = list(linked)
    return users[0] if len(users) == 1 else None


async def audit_events(
    context: RequestContext,
    *,
    kind: str | None = None,
    member_email: str | None = None,
    account_number: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> Page[AuditRow]:
    """A page of the co-op's audit log, newest first. The caller checked the asker is staff.

    ``member_email`` matches events about that login or about any account linked to it now.
    """
    first = check_page_size(
        first, default=DEFAULT_AUDIT_PAGE_SIZE, minimum=1, maximum=MAX_AUDIT_PAGE_SIZE
    )
    cooperative_id = context.cooperative.id
    where: list[ColumnElement[bool]] = [AuditEvent.cooperative_id == cooperative_id]
    if kind is not None:
        where.append(AuditEvent.kind == _kind(kind).value)
    if account_number is not None:
        where.append(AuditEvent.account_number == account_number)
    async with context.services.db() as session:
        if member_email is not None:
            where.append(await _about_member(session, cooperative_id, member_email))
        total = await session.scalar(select(func.count()).select_from(AuditEvent).where(*where))
        if after is not None:
            where.append(await _before(session, cooperative_id, after))
        events = list(
            await session.scalars(
                select(AuditEvent)
                .where(*where)
                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                .limit(first + 1)  # one more tells whether there is a next page
            )
        )
        shown = events[:first]
        emails = await _emails(session, cooperative_id, shown)
    return Page(
        rows=[(cursor_of(str(event.id)), _row(event, emails)) for event in shown],
        has_next_page=len(events) > first,
        has_previous_page=after is not None,
        total_count=total or 0,
    )


def _kind(text: str) -> AuditKind:
    try:
        return AuditKind(text)
    except ValueError:
        raise BadUserInput(f"{text!r} is not a kind of audit event") from None


async def _about_member(
    session: AsyncSession, cooperative_id: str, email: str
) -> ColumnElement[bool]:
    member_id = await session.scalar(
        select(User.id).where(
            User.cooperative_id == cooperative_id, User.email == normalize_email(email)
        )
    )
    if member_id is None:
        return false()
    accounts = select(UserAccount.account_number).where(
        UserAccount.cooperative_id == cooperative_id, UserAccount.user_id == member_id
    )
    return or_(AuditEvent.user_id == member_id, AuditEvent.account_number.in_(accounts))


async def _before(session: AsyncSession, cooperative_id: str, after: str) -> ColumnElement[bool]:
    """Events after the cursor's event in the newest-first order: older, or as old with a
    smaller id (one request's events share their instant)."""
    event_id = _event_id(after)
    at = None
    if event_id is not None:
        at = await session.scalar(
            select(AuditEvent.at).where(
                AuditEvent.cooperative_id == cooperative_id, AuditEvent.id == event_id
            )
        )
    if event_id is None or at is None:
        raise BadUserInput("after is not a cursor of the audit log")
    return or_(AuditEvent.at < at, and_(AuditEvent.at == at, AuditEvent.id < event_id))


def _event_id(cursor: str) -> int | None:
    key = key_of(cursor)
    # Only an id as `cursor_of` was given it: not " 7", "+7" or "07".
    if key is None or not key.isascii() or not key.isdigit() or str(int(key)) != key:
        return None
    return int(key)


async def _emails(
    session: AsyncSession, cooperative_id: str, events: list[AuditEvent]
) -> dict[int, str]:
    ids = {
        user_id
        for event in events
        for user_id in (event.user_id, event.actor_user_id)
        if user_id is not None
    }
    if not ids:
        return {}
    rows = await session.execute(
        select(User.id, User.email).where(User.cooperative_id == cooperative_id, User.id.in_(ids))
    )
    return {user_id: email for user_id, email in rows}


def _row(event: AuditEvent, emails: dict[int, str]) -> AuditRow:
    return AuditRow(
        id=event.id,
        at=event.at,
        kind=event.kind,
        member_email=None if event.user_id is None else emails.get(event.user_id),
        actor_email=None if event.actor_user_id is None else emails.get(event.actor_user_id),
        account_number=event.account_number,
        client_address=event.client_address,
        detail=event.detail,
    )


def record_own_change(
    session: AsyncSession, context: RequestContext, kind: AuditKind, detail: str | None = None
) -> None:
    """Audits a change the request's member made to their own login, in ``session``'s
    transaction, with the request's time and origin."""
    principal = context.principal
    if principal is None:
        raise RuntimeError("an anonymous request changed a login")
    record(
        session,
        principal.cooperative_id,
        kind,
        context.origin,
        at=context.received_at,
        user_id=principal.user_id,
        detail=detail,
    )
