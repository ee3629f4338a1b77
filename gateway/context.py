"""What every GraphQL resolver gets: the request's co-op, who is asking, and its loaders.

The app builds one ``RequestContext`` per request (``gateway.app``); the schema reads it
as ``info.context``. Nothing in it outlives the request but the shared services it points
to (the co-op's adapter and the database).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from adapters.contract import CisAdapter
from gateway.auth.audit import Origin
from gateway.auth.sessions import Principal, SessionLifetimes
from gateway.auth.throttle import Throttles
from gateway.cooperatives import Cooperative
from gateway.outbox import Outbox
from gateway.payments.processor import PaymentProcessor
from resolvers.loaders import CisLoaders
from resolvers.store_loaders import StoreLoaders


@dataclass(frozen=True, slots=True)
class Services:
    """One co-op's long-lived services, built at start-up and shared by its requests."""

    cooperative: Cooperative
    adapter: CisAdapter
    db: async_sessionmaker[AsyncSession]
    lifetimes: SessionLifetimes
    outbox: Outbox  # e-mail to members, sent in the background
    throttles: Throttles  # per client address, shared by the gateway's co-ops
    processor: PaymentProcessor | None = None  # None: the co-op takes no payments here
    cis_batching: bool = True  # False: one CIS call per key (``COOP_GATEWAY_CIS_BATCHING``)


@dataclass(slots=True)
class RequestContext:
    services: Services
    request: Request
    principal: Principal | None  # None: anonymous (or a token that is no longer valid)
    token: str | None  # the bearer token as sent, for logout; never logged
    loaders: CisLoaders
    received_at: datetime  # one "now" per request, in UTC
    _store: StoreLoaders | None = None
    # Staff reads audited by this request, by (account number, member e-mail): resolved
    # True once the event is written (``resolvers.audit``).
    staff_reads: dict[tuple[str | None, str | None], asyncio.Future[bool]] = field(
        default_factory=dict
    )

    @property
    def cooperative(self) -> Cooperative:
        return self.services.cooperative

    @property
    def store(self) -> StoreLoaders:
        """The request's loaders of the gateway's own rows by account (made on first use)."""
        if self._store is None:
            self._store = StoreLoaders(self.services.db, self.services.cooperative.id)
        return self._store

    @property
    def origin(self) -> Origin:
        client = self.request.client
        return Origin(
            client_address=None if client is None else client.host,
            user_agent=self.request.headers.get("user-agent"),
        )
