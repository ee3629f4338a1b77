"""The schema's entry points, and ``build_schema()``, which puts it together.

Every entry point checks who is asking (``resolvers.access``) before it loads anything:
``viewer`` needs a login, ``account``, ``member`` and ``auditEvents`` are for staff, ``node``
applies the rules of the object it finds, ``outages`` needs a login, and ``offices`` is public
(the co-op's addresses and hours, as on its web site); subscriptions (``schema.subscription``)
need the login their WebSocket proved. Every staff read of a member's account
or login is written to the audit log (``resolvers.audit``) before its CIS data is loaded.
"""

from __future__ import annotations

from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.auth.users import normalize_email
from resolvers.access import readable_account, signed_in, staff
from resolvers.audit import (
    DEFAULT_AUDIT_PAGE_SIZE,
    audit_account_read,
    audit_events,
    audit_staff_read,
)
from resolvers.members import linked_accounts
from resolvers.offices import nearest
from schema.account import ACCOUNT_TYPE, Account
from schema.account_loading import account_or_not_found
from schema.audit import AuditEvent
from schema.connections import Connection
from schema.errors import BadUserInput, NotFound
from schema.extensions import (
    ErrorPolicy,
    IntrospectionPolicy,
    ParserCacheWithErrors,
    log_errors,
)
from schema.fields import field
from schema.info import GatewayInfo
from schema.limits import QueryCostLimits
from schema.member import Member
from schema.mutation import Mutation
from schema.node import Node, parse_global_id
from schema.offices import NearInput, Office
from schema.outages import OUTAGE_TYPE, Outage
from schema.payments import PaymentQuote, payment_quote
from schema.scalars import SCALARS
from schema.subscription import Subscription
from schema.transport import TransportPolicy

MAX_OFFICES = 50
_CACHE_SIZE = 256  # distinct query texts kept parsed and validated


@strawberry.type
class Query:
    @field("The logged-in member; UNAUTHENTICATED without a login.")
    def viewer(self, info: GatewayInfo) -> Member | None:
        return Member.from_principal(signed_in(info.context))

    @field("Staff only: any account of the co-op.")
    async def account(self, info: GatewayInfo, number: str) -> Account | None:
        staff(info.context)
        await audit_staff_read(info.context, account_number=number)
        return await account_or_not_found(info, number)

    @field("Staff only: a member by login e-mail.")
    async def member(self, info: GatewayInfo, email: str) -> Member | None:
        staff(info.context)
        numbers = await linked_accounts(info.context, email)
        if numbers is None:
            raise NotFound("no member with that e-mail address")
        await audit_staff_read(info.context, member_email=email)
        return Member.of(normalize_email(email), numbers)

    @field("An object by global id, if the request may read it.")
    async def node(self, info: GatewayInfo, id: strawberry.ID) -> Node | None:
        signed_in(info.context)
        type_name, key = parse_global_id(id)
        if type_name == ACCOUNT_TYPE:
            number = readable_account(info.context, key)
            await audit_account_read(info.context, number)
            return await account_or_not_found(info, number)
        if type_name == OUTAGE_TYPE:
            event = await info.context.loaders.outages.load(key)
            if event is not None:
                return Outage.from_record(event, info.context.cooperative.time_zone)
        raise NotFound("no such object")

    payment_quote: PaymentQuote = strawberry.field(
        resolver=payment_quote,
        description="Per-account amounts, the convenience fee and the total of a payment, to"
        " confirm before `makePayment`.",
    )

    @field("Outages for the co-op's outage map; needs a login.")
    async def outages(
        self,
        info: GatewayInfo,
        active_only: Annotated[
            bool,
            strawberry.argument(description="Leave out planned outages that have not begun."),
        ] = True,
    ) -> list[Outage] | None:
        context = info.context
        signed_in(context)
        feed = await context.loaders.active_outages()
        zone = context.cooperative.time_zone
        return [
            Outage.from_record(event, zone)
            for event in feed.events
            if not (active_only and event.start_time > context.received_at)
        ]

    @field(
        "Staff only: the co-op's audit log (security events, staff reads of member data),"
        " newest first. `memberEmail` matches events about that login or any account linked"
        " to it; `kind` is an event kind such as STAFF_READ; `first` is 1 to 200."
    )
    async def audit_events(
        self,
        info: GatewayInfo,
        kind: str | None = None,
        member_email: str | None = None,
        account_number: str | None = None,
        first: int | None = DEFAULT_AUDIT_PAGE_SIZE,
        after: str | None = None,
    ) -> Connection[AuditEvent] | None:
        context = info.context
        staff(context, "read the audit log")
        page = await audit_events(
            context,
            kind=kind,
            member_email=member_email,
            account_number=account_number,
            first=first,
            after=after,
        )
        zone = context.cooperative.time_zone
        return Connection[AuditEvent].from_page(page, lambda row: AuditEvent.from_row(row, zone))

    @field(
        "The co-op's offices and payment drop boxes, nearest to `near` first (else in the"
        " co-op's order). Public: no login needed."
    )
    def offices(
        self, info: GatewayInfo, near: NearInput | None = None, limit: int = 10
    ) -> list[Office]:
        if not 1 <= limit <= MAX_OFFICES:
            raise BadUserInput(f"limit must be between 1 and {MAX_OFFICES}")
        offices = info.context.cooperative.offices
        if near is None:
            return [Office.from_config(office, None) for office in offices[:limit]]
        if not (-90 <= near.lat <= 90 and -180 <= near.lon <= 180):
            raise BadUserInput("near must be a latitude within ±90 and a longitude within ±180")
        return [
            Office.from_config(office, distance)
            for office, distance in nearest(offices, near.lat, near.lon)[:limit]
        ]


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Instead of strawberry's logging of every error with its traceback, client
        # mistakes included: only what needs an operator's eye.
        log_errors(errors)


def build_schema() -> strawberry.Schema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Account, Outage],
        config=StrawberryConfig(scalar_map=SCALARS),
        extensions=[
            QueryCostLimits,
            lambda: ParserCacheWithErrors(maxsize=_CACHE_SIZE),
            lambda: ValidationCache(maxsize=_CACHE_SIZE),
            IntrospectionPolicy,
            ErrorPolicy,
            TransportPolicy,
        ],
    )
