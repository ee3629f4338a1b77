"""Locking a login after repeated failures: five within 15 minutes lock it for 15 minutes.

Failures of the password (at login, or as the "current password" of a credential change)
and of the second factor count. The count is one atomic UPDATE and the lock a conditional
one, so concurrent failures on SQLite and PostgreSQL alike each count, and only one of them
sets the lock and e-mails the member.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, literal, or_, update

from gateway.auth.audit import AuditKind, Origin, record
from gateway.context import Services
from gateway.durations import minutes
from gateway.store.models import User, UtcDateTime

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


def is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def not_locked(now: datetime) -> ColumnElement[bool]:
    """The WHERE condition of a user that is not locked at ``now``."""
    return or_(User.locked_until.is_(None), User.locked_until <= now)


async def record_failure(
    services: Services, user: User, origin: Origin, now: datetime, reason: str
) -> None:
    """Audits a failed attempt; counts it unless the login is already locked."""
    window_over = or_(
        User.failed_logins_since.is_(None), User.failed_logins_since <= now - FAILURE_WINDOW
    )
    at_now = literal(now, UtcDateTime())  # stored like every instant: UTC
    async with services.db.begin() as session:
        record(
            session,
            user.cooperative_id,
            AuditKind.LOGIN_FAILED,
            origin,
            at=now,
            user_id=user.id,
            detail=reason,
        )
        # Both only while not locked: attempts during a lock neither count nor extend it.
        await session.execute(
            update(User)
            .where(User.id == user.id, not_locked(now))
            .values(
                failed_logins=case((window_over, 1), else_=User.failed_logins + 1),
                failed_logins_since=case((window_over, at_now), else_=User.failed_logins_since),
            )
        )
        locked = await session.scalar(
            update(User)
            .where(User.id == user.id, not_locked(now), User.failed_logins >= MAX_FAILURES)
            .values(locked_until=now + LOCKOUT, failed_logins=0, failed_logins_since=None)
            .returning(User.id)
        )
        if locked is not None:
            record(
                session, user.cooperative_id, AuditKind.LOCKED_OUT, origin, at=now, user_id=user.id
            )
    if locked is not None:
        services.outbox.post(
            "login-locked",
            user.email,
            {
                "cooperative": services.cooperative.name,
                "minutes": minutes(LOCKOUT),
                "client_address": origin.client_address or "an unknown address",
            },
        )
