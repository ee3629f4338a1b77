"""The audit log: security events and staff reads of member data, kept in ``audit_events``.

Staff query it (``auditEvents``); members cannot. An event says who, what, when and from
where; its detail never holds a password, token, pass phrase or code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.models import ACCOUNT_NUMBER_LENGTH, AuditEvent

logger = logging.getLogger(__name__)
# The columns' lengths: a longer value is cut, not refused (an audit entry is never lost).
_CLIENT_ADDRESS_LENGTH = 64
_DETAIL_LENGTH = 500


class AuditKind(StrEnum):  # names of events, not secrets (ruff S105 is told per line)
    LOGIN = "LOGIN"
    LOGIN_FAILED = "LOGIN_FAILED"
    LOCKED_OUT = "LOCKED_OUT"
    REGISTERED = "REGISTERED"
    REGISTRATION_REFUSED = "REGISTRATION_REFUSED"
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105
    PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED"  # noqa: S105
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105
    PASSWORD_RESET_REFUSED = "PASSWORD_RESET_REFUSED"  # noqa: S105
    PASS_PHRASE_CHANGED = "PASS_PHRASE_CHANGED"  # noqa: S105
    SESSION_REVOKED = "SESSION_REVOKED"
    ACCESS_TOKEN_CREATED = "ACCESS_TOKEN_CREATED"  # noqa: S105
    ACCESS_TOKEN_REVOKED = "ACCESS_TOKEN_REVOKED"  # noqa: S105
    TWO_FACTOR_ENABLED = "TWO_FACTOR_ENABLED"
    TWO_FACTOR_DISABLED = "TWO_FACTOR_DISABLED"
    RECOVERY_CODE_USED = "RECOVERY_CODE_USED"
    CONTACT_CHANGED = "CONTACT_CHANGED"
    EMAIL_CHANGE_REQUESTED = "EMAIL_CHANGE_REQUESTED"
    EMAIL_CHANGED = "EMAIL_CHANGED"
    ACCOUNT_LINKED = "ACCOUNT_LINKED"
    ACCOUNT_UNLINKED = "ACCOUNT_UNLINKED"
    STAFF_READ = "STAFF_READ"


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from, as the audit log and throttles see it."""

    client_address: str | None
    user_agent: str | None = None


def record(
    session: AsyncSession,
    cooperative_id: str,
    kind: AuditKind,
    origin: Origin,
    *,
    at: datetime,
    user_id: int | None = None,
    actor_user_id: int | None = None,
    account_number: str | None = None,
    detail: str | None = None,
) -> None:
    """Adds the event to ``session``'s transaction: it is kept if and only if what it
    describes is."""
    address = origin.client_address
    session.add(
        AuditEvent(
            cooperative_id=cooperative_id,
            at=at,
            kind=kind.value,
            user_id=user_id,
            actor_user_id=actor_user_id,
            account_number=None
            if account_number is None
            else account_number[:ACCOUNT_NUMBER_LENGTH],
            client_address=None if address is None else address[:_CLIENT_ADDRESS_LENGTH],
            detail=None if detail is None else detail[:_DETAIL_LENGTH],
        )
    )
    logger.info(
        "audit %s at co-op %s: user %s, actor %s, account %s, from %s",
        kind.value,
        cooperative_id,
        user_id,
        actor_user_id,
        account_number,
        address,
    )
