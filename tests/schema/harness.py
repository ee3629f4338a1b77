"""Runs queries through the schema with a real request context: a migrated database, real
users and sessions, a real starlette Request, and a CIS adapter (in-process or SOAP)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from adapters.cis_soap.simulator.demo import DEMO_ACCOUNTS, DEMO_EMAIL, FARM_ACCOUNTS, FARM_EMAIL
from adapters.contract import CisAdapter
from gateway.auth.audit import Origin
from gateway.auth.bearer import authenticate
from gateway.auth.login import LoginAttempt, login
from gateway.auth.sessions import SessionLifetimes
from gateway.auth.throttle import Throttles
from gateway.auth.users import create_user
from gateway.context import RequestContext, Services
from gateway.cooperatives import Cooperative, load_cooperative
from gateway.mail import Mailer, SmtpSettings
from gateway.outbox import Outbox
from gateway.settings import Settings
from gateway.store.models import Role
from resolvers.loaders import CisLoaders

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "demo-password"
STAFF_EMAIL = "staff@example.coop"
OTHER_EMAIL = "other@example.coop"  # a member with no accounts
LIFETIMES = SessionLifetimes.from_settings(Settings())


def demo_cooperative() -> Cooperative:
    return load_cooperative(REPO / "config" / "demo-coop.toml")


async def create_demo_users(db: async_sessionmaker[AsyncSession], cooperative_id: str) -> None:
    await create_user(db, cooperative_id, DEMO_EMAIL, PASSWORD, Role.MEMBER, DEMO_ACCOUNTS)
    await create_user(db, cooperative_id, FARM_EMAIL, PASSWORD, Role.MEMBER, FARM_ACCOUNTS)
    await create_user(db, cooperative_id, STAFF_EMAIL, PASSWORD, Role.STAFF)
    await create_user(db, cooperative_id, OTHER_EMAIL, PASSWORD, Role.MEMBER)


def http_request(token: str | None = None, client: tuple[str, int] | None = None) -> Request:
    """A POST to /graphql, with ``token`` as its bearer and from ``client`` (address, port)."""
    headers = [(b"user-agent", b"schema-tests/1.0")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": headers,
    }
    if client is not None:
        scope["client"] = client
    return Request(scope)


@dataclass
class Gateway:
    """The schema and one co-op's services; ``run`` executes a query as a request would."""

    schema: strawberry.Schema
    services: Services
    tokens: dict[str, str]  # e-mail -> a live bearer token

    async def log_in(self, email: str) -> str:
        if email not in self.tokens:
            issued = await login(
                self.services,
                LoginAttempt(email, PASSWORD),
                Origin("127.0.0.1", "schema-tests"),
                datetime.now(UTC),
            )
            assert issued is not None
            self.tokens[email] = issued.token
        return self.tokens[email]

    async def context(self, as_user: str | None) -> RequestContext:
        token = None if as_user is None else await self.log_in(as_user)
        principal = None
        if token is not None:
            principal = await authenticate(
                self.services.db, self.services.cooperative.id, token, lifetimes=LIFETIMES
            )
        return RequestContext(
            services=self.services,
            request=http_request(token),
            principal=principal,
            token=token,
            loaders=CisLoaders(self.services.adapter),
            received_at=datetime.now(UTC),
        )

    async def run(
        self, query: str, as_user: str | None = None, **variables: Any
    ) -> strawberry.types.ExecutionResult:
        context = await self.context(as_user)
        return await self.schema.execute(query, variable_values=variables, context_value=context)


def make_services(
    adapter: CisAdapter | None,
    db: async_sessionmaker[AsyncSession],
    *,
    cooperative: Cooperative | None = None,
    smtp: SmtpSettings | None = None,
    lifetimes: SessionLifetimes = LIFETIMES,
) -> Services:
    """A co-op's services as the app builds them; mail goes to ``smtp`` (by default a port
    nothing listens on: sending fails and is logged)."""
    return Services(
        cooperative=cooperative or demo_cooperative(),
        adapter=adapter,  # type: ignore[arg-type]  # None: a test that reads no CIS
        db=db,
        lifetimes=lifetimes,
        outbox=Outbox(Mailer(smtp or SmtpSettings(port=9))),
        throttles=Throttles.per_minute(Settings().attempts_per_minute),
    )


def make_gateway(
    schema: strawberry.Schema, adapter: CisAdapter, db: async_sessionmaker[AsyncSession]
) -> Gateway:
    return Gateway(schema=schema, services=make_services(adapter, db), tokens={})


def codes(result: strawberry.types.ExecutionResult) -> dict[str, str]:
    """Error code by path ("viewer.accounts.0.bills"), or by message when it has no path."""
    return {
        ".".join(map(str, error.path)) if error.path else error.message: error.extensions["code"]
        for error in result.errors or []
    }
