"""The running gateway's long-lived parts: the database and, per co-op, its CIS adapter and
outage feed (``gateway.outage_feed``).

``start_gateway`` builds them when the app starts and closes them when it stops; requests
find them with ``gateway_of(request)`` and their co-op with ``Gateway.route``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection

from adapters.cis_soap.adapter import SoapCisAdapter
from gateway.auth.sessions import SessionLifetimes
from gateway.auth.throttle import Throttles
from gateway.context import Services
from gateway.cooperatives import Cooperatives
from gateway.mail import Mailer
from gateway.outage_feed import OutageFeedHub
from gateway.outbox import Outbox
from gateway.payments.sandbox_client import SandboxProcessor
from gateway.settings import Settings
from gateway.store.database import create_engine, session_factory
from gateway.store.migrate import current_revision, head_revision

COOPERATIVE_HEADER = "x-cooperative"

logger = logging.getLogger(__name__)


class DatabaseNotReady(RuntimeError):
    """The database is not at the schema this code needs; the message says what to run."""


class UnknownCooperative(LookupError):
    """A request names a co-op this gateway does not serve."""


@dataclass(frozen=True, slots=True)
class Gateway:
    cooperatives: Cooperatives
    engine: AsyncEngine
    services: Mapping[str, Services]  # by co-op id
    outage_feeds: Mapping[str, OutageFeedHub]  # by co-op id: one CIS poll for all subscriptions

    def route(self, headers: Headers) -> Services:
        """The services of the request's co-op: the one its ``X-Cooperative`` header names,
        else the one its host name belongs to, else the default one."""
        named = headers.get(COOPERATIVE_HEADER)
        if named is not None:
            services = self.services.get(named.strip())
            if services is None:
                raise UnknownCooperative(f"no co-op {named.strip()!r} is served here")
            return services
        by_host = self.cooperatives.for_host(headers.get("host", ""))
        return self.services[(by_host or self.cooperatives.default).id]


def gateway_of(connection: HTTPConnection) -> Gateway:
    """The running gateway, from the app's lifespan state."""
    gateway = connection.state.gateway
    if not isinstance(gateway, Gateway):
        raise TypeError("the app's lifespan did not run: no gateway in its state")
    return gateway


async def check_schema(engine: AsyncEngine) -> None:
    """Raises `DatabaseNotReady` unless the database is migrated to the newest revision."""
    revision = await current_revision(engine)
    if revision != head_revision():
        where = engine.url.render_as_string(hide_password=True)
        found = "not migrated" if revision is None else f"at schema revision {revision}"
        raise DatabaseNotReady(
            f"the database {where} is {found}; this gateway needs revision {head_revision()}:"
            " run `coop-gateway db upgrade`"
        )


@asynccontextmanager
async def start_gateway(settings: Settings, cooperatives: Cooperatives) -> AsyncIterator[Gateway]:
    """Opens the database (refusing one that is not migrated) and one adapter per co-op;
    closes them all on exit."""
    async with AsyncExitStack() as stack:
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        await check_schema(engine)
        db = session_factory(engine)
        lifetimes = SessionLifetimes.from_settings(settings)
        outbox = Outbox(Mailer(settings.smtp))
        stack.push_async_callback(outbox.drain)
        throttles = Throttles.per_minute(settings.attempts_per_minute)
        services: dict[str, Services] = {}
        outage_feeds: dict[str, OutageFeedHub] = {}
        for cooperative in cooperatives.by_id.values():
            # Loads the WSDL: a synchronous moment, once per co-op, before serving.
            adapter = SoapCisAdapter.create(cooperative.cis_settings())
            stack.push_async_callback(adapter.aclose)
            outage_feeds[cooperative.id] = OutageFeedHub(adapter, settings.outage_poll_interval)
            stack.push_async_callback(outage_feeds[cooperative.id].aclose)
            processor = None
            if cooperative.payments is not None:
                payments = cooperative.payments
                processor = SandboxProcessor(payments.processor_url, payments.api_key)
                stack.push_async_callback(processor.aclose)
            services[cooperative.id] = Services(
                cooperative,
                adapter,
                db,
                lifetimes,
                outbox,
                throttles,
                processor=processor,
                cis_batching=settings.cis_batching,
            )
        logger.info("serving co-ops %s", ", ".join(services))
        # What start-up built (modules, schema, WSDLs) lives as long as the process: out of
        # the collector's sight, full collections stop re-scanning it on every few requests
        # (the farm dashboard: ~70 -> ~57 ms of CPU per query, bench/dashboard.py).
        gc.freeze()
        yield Gateway(cooperatives, engine, services, outage_feeds)
