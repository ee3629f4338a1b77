"""Live outage status over the WebSocket: a member's own services, and the co-op's map.

Both subscriptions read the co-op's shared outage feed (``gateway.outage_feed``), so any
number of them costs the CIS one poll per interval. Each needs the connection's login,
checked again while it lasts (``gateway.socket_context``): a subscription ends with
UNAUTHENTICATED once the login has ended, and with NOT_FOUND once one of its accounts is
no longer linked to it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Collection
from datetime import datetime
from typing import Annotated, TypeVar

import strawberry
from strawberry import Info

from gateway.auth.sessions import Principal
from gateway.outage_feed import AccountsOutage, ServicePower
from gateway.socket_context import RECHECK_SECONDS, SocketContext
from gateway.subscriber_inbox import Inbox, InboxOverflow
from resolvers.access import acting, readable
from schema.enums import PowerStatus
from schema.errors import BadUserInput, RateLimited
from schema.fields import subscription
from schema.outages import Outage, local_instant

SocketInfo = Info[SocketContext, None]
T = TypeVar("T")


@strawberry.type(description="One of the member's services in an outage, or just restored.")
class AffectedService:
    account_number: str
    service_location_id: str
    power_status: PowerStatus
    estimated_restoration: datetime | None

    @classmethod
    def of(cls, service: ServicePower, context: SocketContext) -> AffectedService:
        status, zone = service.status, context.cooperative.time_zone
        return cls(
            account_number=service.account_number,
            service_location_id=status.service_location_id,
            power_status=status.power_status,
            estimated_restoration=local_instant(status.estimated_restoration, zone),
        )


@strawberry.type(
    description="An outage as it is now, with the member's services it affects or just"
    " stopped affecting."
)
class OutageUpdate:
    outage: Outage
    services: list[AffectedService]

    @classmethod
    def of(cls, change: AccountsOutage, context: SocketContext) -> OutageUpdate:
        return cls(
            outage=Outage.from_record(change.event, context.cooperative.time_zone),
            services=[AffectedService.of(service, context) for service in change.services],
        )


@strawberry.type
class Subscription:
    @subscription(
        "Pushes each outage affecting the member's services now, then every change"
        " to one that affects or affected them: it starts, its estimated restoration or crew"
        " changes, power comes back (the outage RESTORED, or the services' power on)."
    )
    async def outage_updates(
        self,
        info: SocketInfo,
        account_numbers: Annotated[
            list[str] | None,
            strawberry.argument(description="The member's accounts to follow; all if left out."),
        ] = None,
    ) -> AsyncGenerator[OutageUpdate, None]:
        context = info.context
        numbers = _chosen_accounts(await _member(context), account_numbers)
        async with context.outage_feed.accounts(numbers) as inbox:
            async for changes in _pushes(context, inbox, numbers):
                for change in changes:
                    yield OutageUpdate.of(change, context)

    @subscription(
        "The co-op's outage map: every active outage first, then every change to"
        " any outage, restorations included; needs a login."
    )
    async def outage_events(self, info: SocketInfo) -> AsyncGenerator[Outage, None]:
        context = info.context
        await _member(context)
        zone = context.cooperative.time_zone
        async with context.outage_feed.outage_map() as inbox:
            async for events in _pushes(context, inbox, ()):
                for event in events:
                    yield Outage.from_record(event, zone)


async def _member(context: SocketContext) -> Principal:
    """The connection's login as it is now; UNAUTHENTICATED once it has ended."""
    return acting(await context.principal(), "the login has ended: log in and subscribe again")


def _chosen_accounts(principal: Principal, account_numbers: list[str] | None) -> list[str]:
    """The accounts to follow: the login's own when none are named; named ones it may read
    (staff any of the co-op's), a member's naming another's reading like a missing one."""
    if account_numbers is None:
        if not principal.account_numbers:
            raise BadUserInput("this login has no accounts to follow")
        return sorted(principal.account_numbers)
    if not account_numbers:
        raise BadUserInput("give at least one account number, or leave accountNumbers out")
    _check_readable(principal, account_numbers)
    return sorted(set(account_numbers))


def _check_readable(principal: Principal, account_numbers: Collection[str]) -> None:
    """NOT_FOUND for an account the login may not read."""
    for number in account_numbers:
        readable(principal, number)


async def _pushes(
    context: SocketContext, inbox: Inbox[str, T], account_numbers: Collection[str]
) -> AsyncIterator[list[T]]:
    """What reaches the inbox, for as long as the login lasts and holds the accounts."""
    while True:
        items: list[T] = []
        try:
            async with asyncio.timeout(RECHECK_SECONDS):
                items = await inbox.take()
        except TimeoutError:
            pass  # nothing came: time to check the login all the same
        except InboxOverflow:
            raise RateLimited("the subscription fell too far behind: subscribe again") from None
        _check_readable(await _member(context), account_numbers)
        if items:
            yield items
