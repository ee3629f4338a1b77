"""A member's notifications: contacts (verified by a code sent to them), preferences per
account and kind, and the digest choice; read on ``viewer.notifications``."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import strawberry

from gateway.notifications import contacts, preferences
from gateway.notifications.kinds import NotificationChannel, NotificationKind
from gateway.store import notifications as stored
from resolvers.access import signed_in
from schema.info import GatewayInfo
from schema.scalars import Money

strawberry.enum(NotificationKind, description="What a member can be told of.")
strawberry.enum(NotificationChannel, description="How a member can be told.")

_ALL = "null: all the member's accounts."


def _account(number: str) -> str | None:
    return None if number == stored.ALL_ACCOUNTS else number


@strawberry.type
class NotificationContact:
    id: int
    channel: NotificationChannel
    address: str = strawberry.field(
        description="An e-mail address, or for SMS the phone's e-mail-to-SMS gateway address."
    )
    account_number: str | None = strawberry.field(
        description=f"The one account it hears of; {_ALL}"
    )
    verified: bool = strawberry.field(
        description="Whether the member entered the code sent to it: nothing is sent to it before."
    )

    @classmethod
    def of(cls, contact: stored.NotificationContact) -> NotificationContact:
        return cls(
            id=contact.id,
            channel=contact.channel,
            address=contact.address,
            account_number=_account(contact.account_number),
            verified=contact.verified_at is not None,
        )


@strawberry.type
class NotificationPreference:
    kind: NotificationKind
    account_number: str | None = strawberry.field(
        description=f"The account it is for (it wins over the one for all accounts); {_ALL}"
    )
    email: bool = strawberry.field(description="To the login's address and e-mail contacts.")
    sms: bool = strawberry.field(description="To the verified SMS contacts.")
    days_before: int | None = strawberry.field(description="DUE_SOON: days before the due date.")
    threshold_kwh: Decimal | None = strawberry.field(
        name="thresholdKWh", description="USAGE_ALERT: a day's kWh above this."
    )
    threshold_cost: Money | None = strawberry.field(
        description="USAGE_ALERT: a day's estimated cost above this."
    )

    @classmethod
    def of(cls, preference: stored.NotificationPreference) -> NotificationPreference:
        cost = preference.threshold_cost
        return cls(
            kind=preference.kind,
            account_number=_account(preference.account_number),
            email=preference.email,
            sms=preference.sms,
            days_before=preference.days_before,
            threshold_kwh=preference.threshold_kwh,
            threshold_cost=None if cost is None else Money(cost),
        )


@strawberry.type
class Notifications:
    digest: bool = strawberry.field(
        description="All of a round's news in one message (for members with many accounts)."
    )
    contacts: list[NotificationContact] = strawberry.field(
        description="Addresses besides the login's own e-mail address."
    )
    preferences: list[NotificationPreference] = strawberry.field(
        description="What the member asked for; nothing is sent of a kind without one."
    )


async def notifications_of(info: GatewayInfo) -> Notifications:
    context = info.context
    principal = signed_in(context)
    db = context.services.db
    digest, found, chosen = await asyncio.gather(
        preferences.digest_chosen(db, principal),
        contacts.contacts_of(db, principal),
        preferences.stored_preferences(db, principal),
    )
    return Notifications(
        digest=digest,
        contacts=[NotificationContact.of(contact) for contact in found],
        preferences=[NotificationPreference.of(preference) for preference in chosen],
    )
