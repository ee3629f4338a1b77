"""What every GraphQL resolver gets: the request's co-op, who is asking, and its loaders.

The app builds one ``RequestContext`` per request (``gateway.app``); the schema reads it
as ``info.context``. Nothing in it outlives the request but the shared services it points
to (the co-op's adapter and the database).
"""

from __future__ import annotations

from dataclasses import dataclass
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
from resolvers.batching import RecordLoader
from resolvers.loaders import CisLoaders
from resolvers.pending_payments import PendingAllocation, pending_payments_loader


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
    _pending_payments: RecordLoader[str, tuple[PendingAllocation, ...]] | None = None

    @property
    def cooperative(self) -> Cooperative:
        return self.services.cooperative

    @property
    def pending_payments(self) -> RecordLoader[str, tuple[PendingAllocation, ...]]:
        """The request's loader of payments not yet applied in the CIS, by account."""
        if self._pending_payments is None:
            services = self.services
            self._pending_payments = pending_payments_loader(services.db, services.cooperative.id)
        return self._pending_payments

    @property
    def origin(self) -> Origin:
        client = self.request.client
        return Origin(
            client_address=None if client is None else client.host,
            user_agent=self.request.headers.get("user-agent"),
        )
