"""A subscription lasts only as long as its login: the socket's login is checked again while
it lives, and a logged-out session, an unlinked account or a session left idle ends the
subscription (the checks again are no use of the session)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from typing import Any

import strawberry
from sqlalchemy import delete, select, update

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import DEMO_CABIN_ACCOUNT, DEMO_CABIN_LOCATION, DEMO_EMAIL
from gateway.auth.sessions import logout
from gateway.outage_feed import OutageFeedHub
from gateway.socket_context import RECHECK_SECONDS, SocketContext
from gateway.store.models import UserAccount, UserSession
from tests.gateway.databases import SQLITE_ONLY
from tests.resolvers.counting import CountingCis

from .harness import Gateway

INTERVAL = timedelta(seconds=0.05)  # the outage feed's polls
UPDATES = """subscription Cabin($accounts: [String!]) { outageUpdates(accountNumbers: $accounts) {
  outage { eventId estimatedRestoration } services { powerStatus } } }"""


pytestmark = SQLITE_ONLY


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def subscribed(
    schema: strawberry.Schema, gateway: Gateway, counting: CountingCis, clock: Clock
) -> tuple[AsyncGenerator[Any, None], SocketContext]:
    """The demo member's subscription to the cabin, past its first push."""
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL)
    context = SocketContext(gateway.services, hub, clock=clock)
    assert await context.log_in(await gateway.log_in(DEMO_EMAIL))
    cabin = {"accounts": [DEMO_CABIN_ACCOUNT]}
    results = await schema.subscribe(UPDATES, variable_values=cabin, context_value=context)
    assert not isinstance(results, strawberry.types.ExecutionResult)
    first = await anext(results)
    assert first.errors is None, first.errors
    return results, context


async def moved_cabin(simulated: SimulatedCis) -> None:
    status = (await simulated.get_outage_status([DEMO_CABIN_LOCATION]))[DEMO_CABIN_LOCATION]
    assert status.outage_event_id is not None
    etr = datetime.now(UTC) + timedelta(hours=7)
    await simulated.advance_outage(status.outage_event_id, estimated_restoration=etr)


async def test_a_subscription_ends_when_its_session_is_logged_out(
    schema: strawberry.Schema, gateway: Gateway, counting: CountingCis, simulated: SimulatedCis
) -> None:
    clock = Clock()
    results, context = await subscribed(schema, gateway, counting, clock)

    await logout(gateway.services.db, gateway.tokens[DEMO_EMAIL])
    await moved_cabin(simulated)
    before_recheck = await anext(results)  # within RECHECK_SECONDS: still the login it was
    clock.now += RECHECK_SECONDS + 1
    await moved_cabin(simulated)
    after_recheck = await anext(results)

    assert before_recheck.errors is None
    assert [e.extensions["code"] for e in after_recheck.errors] == ["UNAUTHENTICATED"]
    assert await context.principal() is None
    await results.aclose()


async def test_a_subscription_ends_when_its_account_is_unlinked(
    schema: strawberry.Schema, gateway: Gateway, counting: CountingCis, simulated: SimulatedCis
) -> None:
    clock = Clock()
    results, _ = await subscribed(schema, gateway, counting, clock)

    async with gateway.services.db.begin() as session:
        await session.execute(
            delete(UserAccount).where(UserAccount.account_number == DEMO_CABIN_ACCOUNT)
        )
    clock.now += RECHECK_SECONDS + 1
    await moved_cabin(simulated)
    ended = await anext(results)

    assert [e.extensions["code"] for e in ended.errors] == ["NOT_FOUND"]
    await results.aclose()


async def test_a_recheck_leaves_the_session_s_idle_time_running(
    gateway: Gateway, counting: CountingCis
) -> None:
    clock = Clock()
    hub = OutageFeedHub(counting.as_adapter(), INTERVAL)
    context = SocketContext(gateway.services, hub, clock=clock)
    assert await context.log_in(await gateway.log_in(DEMO_EMAIL))
    principal = await context.principal()
    assert principal is not None
    session = UserSession.id == principal.session_id
    idle = gateway.services.lifetimes.idle
    # An open tab, its page left alone for two minutes: long enough for a use to be noted.
    last_used = (datetime.now(UTC) - timedelta(minutes=2)).replace(microsecond=0)

    async with gateway.services.db.begin() as db:
        await db.execute(update(UserSession).where(session).values(last_used_at=last_used))
    clock.now += RECHECK_SECONDS + 1
    still = await context.principal()
    async with gateway.services.db() as db:
        noted = await db.scalar(select(UserSession.last_used_at).where(session))
    async with gateway.services.db.begin() as db:
        await db.execute(update(UserSession).where(session).values(last_used_at=last_used - idle))
    clock.now += RECHECK_SECONDS + 1
    idled_out = await context.principal()

    assert still == principal
    assert noted == last_used
    assert idled_out is None
