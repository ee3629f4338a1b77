"""The audit log as staff read it (``auditEvents``): who did what, when and from where."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import strawberry

from resolvers.audit import AuditRow


@strawberry.type(description="An entry of the co-op's audit log; never holds a secret.")
class AuditEvent:
    at: datetime = strawberry.field(description="When, in the co-op's time zone.")
    kind: str = strawberry.field(description="What happened, e.g. STAFF_READ or LOGIN_FAILED.")
    member_email: str | None = strawberry.field(
        description="The login the event is about; null when none, or once it is deleted."
    )
    actor_email: str | None = strawberry.field(
        description="Who acted, when not the member (staff); null once the login is deleted."
    )
    account_number: str | None = strawberry.field(description="The CIS account concerned.")
    client_address: str | None = strawberry.field(description="The client's IP address.")
    detail: str | None = strawberry.field(description="More about it, e.g. what staff read.")

    @classmethod
    def from_row(cls, row: AuditRow, zone: ZoneInfo) -> AuditEvent:
        return cls(
            at=row.at.astimezone(zone),
            kind=row.kind,
            member_email=row.member_email,
            actor_email=row.actor_email,
            account_number=row.account_number,
            client_address=row.client_address,
            detail=row.detail,
        )
