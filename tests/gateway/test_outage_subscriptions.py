"""Live outage status over real WebSockets to a real gateway: a member reports an outage and
is pushed each step the CIS simulator moves it through; nobody else's services are pushed;
the socket proves a login first and serves subscriptions only; and 1,000 subscribers cost
the CIS one outage poll per interval.

The simulator is this module's own, so the outages opened and moved here, and the calls
counted, are nobody else's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AsyncExitStack, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus

from adapters.cis_soap.simulator.demo import (
    DEMO_CABIN_ACCOUNT,
    DEMO_CABIN_LOCATION,
    DEMO_EMAIL,
    DEMO_SHOP_ACCOUNT,
    FARM_ACCOUNTS,
    FARM_EMAIL,
)
from gateway.auth.users import create_user
from gateway.settings import Settings
from gateway.store.models import Role
from schema.limits import MAX_QUERY_TOKENS
from tests.gateway import test_serve
from tests.gateway.graphql_socket import (
    Message,
    close_code,
    graphql_socket,
    initialize,
    receive,
    seen_or_until,
    send,
    subscribe,
    until,
)
from tests.gateway.live_gateway import error_codes, graphql, log_in
from tests.gateway.test_serve import Served
from tests.schema.harness import PASSWORD, demo_cooperative
from tests.simulator_process import (
    SIMULATOR_MEMBERS,
    SIMULATOR_SEED,
    RunningSimulator,
    SimulatorControl,
    operation_calls,
    running_simulator,
)

served = test_serve.served  # `coop-gateway serve` as a process, the fixture of its own tests

POLL_SECONDS = 0.4
SHOP_LOCATION = f"SL{DEMO_SHOP_ACCOUNT}-1"
UPDATES = """subscription Updates($accounts: [String!]) {
  outageUpdates(accountNumbers: $accounts) {
    outage { eventId status crewStatus estimatedRestoration customersRestored }
    services { accountNumber serviceLocationId powerStatus estimatedRestoration }
  }
}"""
MAP = "subscription { outageEvents { eventId status crewStatus estimatedRestoration } }"
REPORT = """mutation Report($account: String!) {
  reportOutage(accountNumber: $account, kind: NO_POWER) { status outage { eventId status } }
}"""


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSimulator]:
    """This module's own simulator (in place of the session's)."""
    folder = tmp_path_factory.mktemp("outage-cis")
    with running_simulator(folder, seed=SIMULATOR_SEED, members=SIMULATOR_MEMBERS) as running:
        yield running


@pytest.fixture
def gateway_settings(
    database_url: str, engine: AsyncEngine, coop_files: tuple[Path, ...]
) -> Settings:
    return Settings(
        database_url=database_url,
        cooperatives=coop_files,
        outage_poll_interval=timedelta(seconds=POLL_SECONDS),
    )


def pushed(operation_id: str) -> Any:
    """A predicate for the next push of ``operation_id`` (errors fail the test)."""

    def matches(message: Message) -> bool:
        if message.get("id") != operation_id:
            return False
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        return True

    return matches


def update_of(message: Message) -> dict[str, Any]:
    update: dict[str, Any] = message["payload"]["data"]["outageUpdates"]
    return update


def is_update(
    operation_id: str, event_id: str, etr: datetime | None = None, **outage: object
) -> Any:
    """A predicate for a push of this outage with these fields (and this ETR)."""

    def matches(message: Message) -> bool:
        if not pushed(operation_id)(message):
            return False
        found = update_of(message)["outage"]
        pushed_etr = found["estimatedRestoration"]
        return (
            found["eventId"] == event_id
            and all(found[k] == v for k, v in outage.items())
            and (
                etr is None
                or (pushed_etr is not None and datetime.fromisoformat(pushed_etr) == etr)
            )
        )

    return matches


def map_state(message: Message) -> tuple[str, str] | None:
    """(event id, status) of an outageEvents push."""
    if message.get("type") != "next":
        return None
    event = message["payload"]["data"]["outageEvents"]
    return event["eventId"], event["status"]


def is_event(operation_id: str, event_id: str, status: str) -> Any:
    def matches(message: Message) -> bool:
        return message.get("id") == operation_id and map_state(message) == (event_id, status)

    return matches


async def test_a_reported_outage_is_pushed_as_it_moves_on_and_only_to_its_member(
    gateway: httpx.AsyncClient, demo_users: None, simulator_control: SimulatorControl
) -> None:
    url, control = str(gateway.base_url), simulator_control
    demo, farm = (
        await log_in(gateway, DEMO_EMAIL, PASSWORD),
        await log_in(gateway, FARM_EMAIL, PASSWORD),
    )
    seen: list[Message] = []
    farm_seen: list[Message] = []
    async with graphql_socket(url) as socket, graphql_socket(url) as farm_socket:
        await initialize(socket, demo)
        await initialize(farm_socket, farm)
        await subscribe(socket, "mine", UPDATES)
        await subscribe(socket, "map", MAP)
        await subscribe(farm_socket, "farm", UPDATES)
        # The cabin is in an outage already: it is the first push.
        cabin = update_of(await until(socket, pushed("mine"), seen))
        assert cabin["services"] == [
            {
                "accountNumber": DEMO_CABIN_ACCOUNT,
                "serviceLocationId": DEMO_CABIN_LOCATION,
                "powerStatus": "POWER_OFF",
                "estimatedRestoration": cabin["outage"]["estimatedRestoration"],
            }
        ]

        answer = await graphql(gateway, REPORT, {"account": DEMO_SHOP_ACCOUNT}, token=demo)
        event_id = answer["data"]["reportOutage"]["outage"]["eventId"]
        started = update_of(await until(socket, is_update("mine", event_id), seen))
        etr = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
        control.move_outage(event_id, estimated_restoration=etr.isoformat())
        later = update_of(await until(socket, is_update("mine", event_id, etr), seen))
        control.move_outage(event_id, crew_status="DISPATCHED")
        await until(socket, is_update("mine", event_id, crewStatus="DISPATCHED"), seen)
        control.move_outage(event_id, status="RESTORED")
        restored = update_of(
            await until(socket, is_update("mine", event_id, status="RESTORED"), seen)
        )
        await seen_or_until(socket, is_event("map", event_id, "RESTORED"), seen)
        # The farm's subscription has been open all along: give its poll time to be wrong.
        await asyncio.sleep(2 * POLL_SECONDS)
        with suppress(TimeoutError):
            async with asyncio.timeout(0.2):
                while True:
                    farm_seen.append(await receive(farm_socket))

    assert started["outage"]["status"] == "ASSUMED"
    assert started["services"] == [
        {
            "accountNumber": DEMO_SHOP_ACCOUNT,
            "serviceLocationId": SHOP_LOCATION,
            "powerStatus": "POWER_OFF",
            "estimatedRestoration": None,
        }
    ]
    assert datetime.fromisoformat(later["outage"]["estimatedRestoration"]) == etr
    assert datetime.fromisoformat(later["services"][0]["estimatedRestoration"]) == etr
    assert restored["services"][0]["powerStatus"] == "POWER_ON"
    assert restored["outage"]["crewStatus"] == "COMPLETE"
    map_states = [map_state(m) for m in seen if m.get("id") == "map"]
    assert (event_id, "ASSUMED") in map_states
    assert all(
        service["accountNumber"] in FARM_ACCOUNTS
        for message in farm_seen
        for service in update_of(message)["services"]
    )
    assert event_id not in str(farm_seen)


async def test_a_socket_must_prove_a_live_login_before_anything(
    gateway: httpx.AsyncClient,
    demo_users: None,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    url = str(gateway.base_url)
    expires = datetime.now(UTC) + timedelta(hours=1)
    await create_user(
        sessions,
        demo_cooperative().id,
        "temporary@example.coop",
        PASSWORD,
        Role.MEMBER,
        [DEMO_SHOP_ACCOUNT],
        must_change_password=True,
        temporary_password_expires_at=expires,
    )
    temporary = await log_in(gateway, "temporary@example.coop", PASSWORD)
    first_messages: dict[str, Message] = {
        "no payload": {"type": "connection_init"},
        "no token": {"type": "connection_init", "payload": {}},
        "a wrong token": {"type": "connection_init", "payload": {"authorization": "Bearer cgs_x"}},
        "a temporary password": {
            "type": "connection_init",
            "payload": {"Authorization": f"Bearer {temporary}"},
        },
    }
    codes = {}
    for case, message in first_messages.items():
        async with graphql_socket(url) as socket:
            await send(socket, message)
            codes[case] = await close_code(socket)
    async with graphql_socket(url) as socket:
        await subscribe(socket, "early", MAP)
        codes["subscribe first"] = await close_code(socket)
    async with graphql_socket(url) as socket:
        await send(socket, {"type": "subscribe", "id": "1", "payload": "not an object"})
        codes["a malformed message"] = await close_code(socket)
    with pytest.raises(InvalidStatus) as refused:
        async with graphql_socket(url, headers={"X-Cooperative": "nowhere"}):
            pass

    assert codes == {
        "no payload": 4403,
        "no token": 4403,
        "a wrong token": 4403,
        "a temporary password": 4403,
        "subscribe first": 4401,
        "a malformed message": 4400,
    }
    assert refused.value.response.status_code == 403


async def test_the_socket_serves_subscriptions_only_and_keeps_the_http_checks(
    gateway: httpx.AsyncClient, demo_users: None
) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    refused_over_http = await graphql(gateway, MAP, token=token)
    operations = {
        "query": "{ viewer { email } }",
        "mutation": "mutation { logout }",
        "introspection": "{ __schema { types { name } } }",
        "another's account": UPDATES,
    }
    answers: dict[str, Message] = {}
    async with graphql_socket(str(gateway.base_url)) as socket:
        await initialize(socket, token)
        for name, query in operations.items():
            await subscribe(socket, name, query, {"accounts": [FARM_ACCOUNTS[0]]})
            answers[name] = await receive(socket)
            assert await receive(socket) == {"id": name, "type": "complete"}
        huge = "subscription { outageEvents { " + "eventId " * MAX_QUERY_TOKENS + "} }"
        await subscribe(socket, "huge", huge)
        huge_answer = await receive(socket)
    still_logged_in = await graphql(gateway, "{ viewer { email } }", token=token)

    assert error_codes(refused_over_http) == ["BAD_USER_INPUT"]
    assert "WebSocket" in refused_over_http["errors"][0]["message"]
    codes = {
        name: [error["extensions"]["code"] for error in answer["payload"]["errors"]]
        for name, answer in answers.items()
    }
    assert codes == {
        "query": ["BAD_USER_INPUT"],
        "mutation": ["BAD_USER_INPUT"],
        "introspection": ["BAD_USER_INPUT"],
        "another's account": ["NOT_FOUND"],
    }
    assert all(answer["payload"].get("data") is None for answer in answers.values())
    # The parser's token limit, as over HTTP (the socket stays open).
    assert huge_answer["type"] == "error"
    assert [error["extensions"]["code"] for error in huge_answer["payload"]] == ["BAD_USER_INPUT"]
    assert "2000 tokens" in huge_answer["payload"][0]["message"]
    assert still_logged_in["data"] == {"viewer": {"email": DEMO_EMAIL}}


SUBSCRIBERS = 1_000
QUIET_POLLS = 5
CALL_LATENCY = 0.1  # seconds, far more than a local SOAP call takes


def polls_within(seconds: float) -> float:
    """The most polls the simulator can count in a window of ``seconds``: the hub starts
    each an interval or more after the one before, so one per interval plus the first;
    and one started before the window may arrive in it (a SOAP call's latency)."""
    return (seconds + CALL_LATENCY) / POLL_SECONDS + 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_thousand_subscribers_cost_the_cis_one_outage_poll_per_interval(
    gateway: httpx.AsyncClient, demo_users: None, simulator_control: SimulatorControl
) -> None:
    url, control = str(gateway.base_url), simulator_control
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    opening = asyncio.Semaphore(50)
    clock = asyncio.get_running_loop().time
    connecting_from = clock()
    control.set(reset_stats=True)

    async with AsyncExitStack() as stack:

        async def subscribed() -> tuple[ClientConnection, Message]:
            async with opening:
                socket = await stack.enter_async_context(graphql_socket(url))
                await initialize(socket, token)
                await subscribe(socket, "cabin", UPDATES, {"accounts": [DEMO_CABIN_ACCOUNT]})
                return socket, await until(socket, pushed("cabin"), [])

        opened = await asyncio.gather(*(subscribed() for _ in range(SUBSCRIBERS)))
        connected = control.stats()
        connecting_seconds = clock() - connecting_from
        started = clock()
        control.set(reset_stats=True)
        await asyncio.sleep(QUIET_POLLS * POLL_SECONDS)
        quiet = control.stats()
        quiet_seconds = clock() - started
        event_id = update_of(opened[0][1])["outage"]["eventId"]
        etr = (datetime.now(UTC) + timedelta(hours=5)).replace(microsecond=0)
        control.move_outage(event_id, estimated_restoration=etr.isoformat())
        moved = await asyncio.gather(
            *(until(socket, is_update("cabin", event_id, etr=etr), []) for socket, _ in opened)
        )
        after_move = control.stats()

    assert {update_of(first)["outage"]["eventId"] for _, first in opened} == {event_id}
    # Connecting: the subscribers' arrivals bring no extra polls (a poll starts an interval
    # or more after the one before it: a snapshot first, then at most one per interval),
    # and the cabin's location and status are read once for all.
    assert (
        1 <= operation_calls(connected, "GetActiveOutageEvents") <= polls_within(connecting_seconds)
    )
    assert operation_calls(connected, "GetServiceLocationsByAccountNumbers") == 1
    assert operation_calls(connected, "GetOutageStatusByServiceLocationIDs") == 1
    # Quiet: at most one poll per interval (give or take the one in flight; a busy machine
    # may delay some), and nothing else.
    assert 1 <= operation_calls(quiet, "GetActiveOutageEvents") <= polls_within(quiet_seconds)
    assert quiet["calls"] == operation_calls(quiet, "GetActiveOutageEvents")
    # A change reached all 1,000 after one read of the watched statuses.
    assert len(moved) == SUBSCRIBERS
    assert operation_calls(after_move, "GetOutageStatusByServiceLocationIDs") == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_serve_answers_subscriptions_and_logs_no_token(
    served: Served, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_user(sessions, demo_cooperative().id, "socket@example.coop", PASSWORD, Role.STAFF)
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
        token = await log_in(http, "socket@example.coop", PASSWORD)
    # A client may put its token in the URL too: it is not read, and not logged.
    async with graphql_socket(served.url, query_string=f"token={token}") as socket:
        await initialize(socket, token)
        await subscribe(socket, "map", MAP)
        first = await receive(socket)
    logged = served.stop()

    assert first["type"] == "next"
    assert first["payload"]["data"]["outageEvents"]["status"] in {
        "ASSUMED",
        "CONFIRMED",
        "SCHEDULED",
    }
    assert '"WebSocket /graphql" [accepted]' in logged
    # Nor any of it: at DEBUG, the WebSocket library would trace the URL, the headers and
    # the frames (connection_init's, shortened to the token's end).
    assert token[-12:] not in logged
