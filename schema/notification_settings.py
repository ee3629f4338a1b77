"""Changing a member's notifications: contacts, preferences, digest."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from gateway.notifications import codes, contacts, preferences
from gateway.notifications.kinds import NotificationChannel, NotificationKind
from gateway.notifications.sms import sms_sender
from resolvers.access import may_write
from schema.fields import mutation
from schema.info import GatewayInfo
from schema.notifications import NotificationContact, NotificationPreference
from schema.refusals import refusals_as_bad_input
from schema.scalars import Money


@strawberry.type
class NotificationMutations:
    @mutation(
        "Adds an address news may go to (for one account, or all when `accountNumber` is"
        " null) and sends it a six-digit code; asked again for an unverified one, sends a new"
        f" code (at most once a minute, {codes.CODES_PER_ADDRESS} a day per address and"
        f" {codes.CODES_PER_MEMBER} per member)."
        " SMS addresses are the phone's e-mail-to-SMS address (5551234567@vtext.com)."
    )
    async def add_notification_contact(
        self,
        info: GatewayInfo,
        channel: NotificationChannel,
        address: str,
        account_number: str | None = None,
    ) -> NotificationContact:
        context = info.context
        with refusals_as_bad_input():
            contact = await contacts.add_contact(
                context.services,
                sms_sender(context.services),
                may_write(context),
                channel,
                address,
                account_number,
                context.received_at,
            )
        return NotificationContact.of(contact)

    @mutation(
        f"Verifies a contact with the code sent to it (15 minutes, {codes.MAX_TRIES} tries;"
        f" {codes.TRIES_PER_ADDRESS} a day per address and {codes.TRIES_PER_MEMBER} per member)."
    )
    async def verify_notification_contact(
        self, info: GatewayInfo, id: int, code: str
    ) -> NotificationContact:
        context = info.context
        with refusals_as_bad_input():
            contact = await contacts.verify_contact(
                context.services, may_write(context), id, code, context.received_at
            )
        return NotificationContact.of(contact)

    @mutation("Removes a contact; false if the member has no such contact.")
    async def remove_notification_contact(self, info: GatewayInfo, id: int) -> bool:
        context = info.context
        return await contacts.remove_contact(context.services, may_write(context), id)

    @mutation(
        "Sets what the member is told of one kind, for one of their accounts or (with"
        " `accountNumber` null) all of them, and on which channels; both false turns it off."
    )
    async def set_notification_preference(
        self,
        info: GatewayInfo,
        kind: NotificationKind,
        email: bool,
        sms: bool,
        account_number: str | None = None,
        days_before: int | None = None,
        threshold_kwh: Annotated[Decimal | None, strawberry.argument(name="thresholdKWh")] = None,
        threshold_cost: Money | None = None,
    ) -> NotificationPreference:
        context = info.context
        change = preferences.PreferenceChange(
            kind=kind,
            account_number=account_number,
            email=email,
            sms=sms,
            days_before=days_before,
            threshold_kwh=threshold_kwh,
            threshold_cost=threshold_cost,
        )
        with refusals_as_bad_input():
            stored = await preferences.set_preference(
                context.services.db, may_write(context), change, context.received_at
            )
        return NotificationPreference.of(stored)

    @mutation("Turns the digest on or off: all of a round's news in one message.")
    async def set_notification_digest(self, info: GatewayInfo, enabled: bool) -> bool:
        context = info.context
        return await preferences.set_digest(context.services.db, may_write(context), enabled)
