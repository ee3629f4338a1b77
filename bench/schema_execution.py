"""The farm dashboard's GraphQL execution alone: the floor of the gateway's CPU per query.

Runs gateway.demo's dashboard query (60 accounts) through the gateway's schema in this
process, against the simulator's data in memory (no SOAP, HTTP or database): once with
fresh DataLoaders per query, which asks the in-process simulator, and once with the same
warm DataLoaders every time, so every record is already loaded and what is left is
strawberry and graphql-core executing the query's ~1,900 fields, our resolvers and the
account loading. Prints CPU ms per query (best of several rounds). Run it with
``.venv/bin/python bench/schema_execution.py`` (part of ``make bench``).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable
from datetime import UTC, datetime

import strawberry
from starlette.requests import Request

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import FARM_ACCOUNTS, FARM_EMAIL
from gateway.auth.sessions import Principal, SessionLifetimes
from gateway.auth.throttle import Throttles
from gateway.context import RequestContext, Services
from gateway.cooperatives import load_cooperative
from gateway.demo import DASHBOARD_QUERY, DEMO_COOPERATIVE_FILE
from gateway.mail import Mailer
from gateway.outbox import Outbox
from gateway.settings import Settings
from gateway.store.models import Role
from resolvers.loaders import CisLoaders
from schema.root import build_schema

ROUNDS = 5
QUERIES_PER_ROUND = 40


async def best_ms_per_query(
    schema: strawberry.Schema, context: Callable[[], RequestContext]
) -> float:
    rounds = []
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(QUERIES_PER_ROUND):
            result = await schema.execute(DASHBOARD_QUERY, context_value=context())
            if result.errors or result.data is None:
                raise SystemExit(f"the dashboard failed: {result.errors}")
        rounds.append((time.process_time() - started) / QUERIES_PER_ROUND)
    return 1000 * min(rounds)


async def main() -> None:
    cis = SimulatedCis(seed=1, members=40)  # the farm and demo customers are always there
    settings = Settings()
    services = Services(
        cooperative=load_cooperative(DEMO_COOPERATIVE_FILE),
        adapter=cis,
        db=None,  # type: ignore[arg-type]  # never read: the principal is given
        lifetimes=SessionLifetimes.from_settings(settings),
        outbox=Outbox(Mailer(settings.smtp)),  # never used: the dashboard sends no mail
        throttles=Throttles.per_minute(settings.attempts_per_minute),
    )
    principal = Principal(
        1,
        services.cooperative.id,
        FARM_EMAIL,
        Role.MEMBER,
        frozenset(FARM_ACCOUNTS),
        session_id=1,
    )
    request = Request({"type": "http", "method": "POST", "path": "/graphql", "headers": []})

    def context_with(loaders: Callable[[], CisLoaders]) -> Callable[[], RequestContext]:
        return lambda: RequestContext(
            services, request, principal, None, loaders(), datetime.now(UTC)
        )

    schema = build_schema()
    warm = CisLoaders(cis)
    await best_ms_per_query(schema, context_with(lambda: warm))  # warms caches and loaders
    gc.freeze()  # as the gateway does after start-up
    fresh = await best_ms_per_query(schema, context_with(lambda: CisLoaders(cis)))
    loaded = await best_ms_per_query(schema, context_with(lambda: warm))
    print(f"farm dashboard ({len(FARM_ACCOUNTS)} accounts), CPU per query, best of {ROUNDS}:")
    print(f"  in-process CIS, fresh DataLoaders:      {fresh:6.2f} ms")
    print(f"  every record already loaded (GraphQL):  {loaded:6.2f} ms")


if __name__ == "__main__":
    asyncio.run(main())
