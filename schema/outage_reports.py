"""Trouble calls: a member reports an outage at one of their services.

The report goes to the CIS (``SubmitOutageReports``), which joins it to the outage open at
the service's location or opens one: reporting again while that outage is open joins it
again, never a second outage. The answer is the outage as the CIS now has it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import strawberry

from adapters import records
from resolvers.access import may_write
from schema.enums import OutageEventStatus
from schema.errors import BadUserInput
from schema.fields import mutation
from schema.info import GatewayInfo
from schema.outages import Outage, local_instant
from schema.profile import us_phone

MAX_NOTE_LENGTH = 500

OutageReportKind = records.OutageReportKind
strawberry.enum(OutageReportKind)


@strawberry.type(description="A trouble call the co-op recorded, and the outage it joined.")
class OutageReportReceipt:
    report_id: str
    service_location_id: str
    status: OutageEventStatus = strawberry.field(
        description="The outage's status when the report joined it."
    )
    estimated_restoration: datetime | None
    outage: Outage | None = strawberry.field(description="The outage the report joined or opened.")


@strawberry.type
class OutageReportMutations:
    @mutation(
        "Reports an outage at one of the member's services (`serviceLocationId` may be left"
        " out when the account has one): joins the outage open there, or opens one. `note`"
        " is up to 500 characters; `callbackPhone` a US number (308-555-0142)."
    )
    async def report_outage(
        self,
        info: GatewayInfo,
        account_number: str,
        kind: OutageReportKind,
        service_location_id: str | None = None,
        note: str | None = None,
        callback_phone: str | None = None,
    ) -> OutageReportReceipt:
        context = info.context
        if account_number not in may_write(context).account_numbers:
            raise BadUserInput(f"no account {account_number}")
        report_note = _note(note)
        phone = None if callback_phone is None else us_phone(callback_phone)
        account, locations = await asyncio.gather(
            context.loaders.accounts.load(account_number),
            context.loaders.service_locations.load(account_number),
        )
        if account is None:
            raise BadUserInput(f"no account {account_number}")
        if account.account_status is records.AccountStatus.CLOSED:
            raise BadUserInput(f"account {account_number} is closed")
        location = _location(account_number, locations, service_location_id)
        report = records.OutageReport(
            account_number=account_number,
            service_location_id=location,
            kind=kind,
            reported_at=context.received_at,
            note=report_note,
            callback_phone=phone,
        )
        (receipt,) = await context.services.adapter.submit_outage_reports([report])
        event = await context.loaders.outages.load(receipt.outage_event_id)
        zone = context.cooperative.time_zone
        return OutageReportReceipt(
            report_id=receipt.report_id,
            service_location_id=receipt.service_location_id,
            status=receipt.status,
            estimated_restoration=local_instant(receipt.estimated_restoration, zone),
            outage=None if event is None else Outage.from_record(event, zone),
        )


def _note(text: str | None) -> str | None:
    """The note on one line of plain text; None when blank."""
    if text is None:
        return None
    note = " ".join(text.split())
    if len(note) > MAX_NOTE_LENGTH:
        raise BadUserInput(f"a note is at most {MAX_NOTE_LENGTH} characters")
    if not note.isprintable():
        raise BadUserInput("a note is plain text")
    return note or None


def _location(
    account_number: str,
    locations: Sequence[records.ServiceLocation],
    service_location_id: str | None,
) -> str:
    """The service location reported: the one named, which must be on the account, or the
    account's only one."""
    ids = [location.service_location_id for location in locations]
    if service_location_id is None:
        if len(ids) != 1:
            raise BadUserInput(
                f"account {account_number} has {len(ids)} service locations: give serviceLocationId"
            )
        return ids[0]
    if service_location_id not in ids:
        raise BadUserInput(f"no service location {service_location_id} on account {account_number}")
    return service_location_id
