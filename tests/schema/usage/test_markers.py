"""Usage markers in the gateway's store: create, list, update and delete them, who may, and
what is refused; staff reads through them audited, a list read in one query, and the limit
held by creates at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.cis_soap.simulator.demo import (
    DEMO_ACCOUNTS,
    DEMO_EMAIL,
    DEMO_HOME_ACCOUNT,
    DEMO_SHOP_ACCOUNT,
    FARM_EMAIL,
)
from gateway.auth.access_tokens import create_access_token
from gateway.auth.bearer import authenticate
from gateway.store.models import TokenScope
from gateway.store.usage_markers import UsageMarker
from resolvers.usage_markers import MAX_MARKERS_PER_ACCOUNT
from tests.gateway.databases import BACKENDS
from tests.schema.harness import LIFETIMES, STAFF_EMAIL, Gateway, codes
from tests.schema.test_staff_audit import staff_reads, user_ids

from .marking import CREATE, create, run
from .oracle import today

UPDATE = """mutation($id: Int!, $m: UsageMarkerInput!) {
  updateUsageMarker(id: $id, marker: $m) { id name note at from to } }"""
DELETE = "mutation($id: Int!) { deleteUsageMarker(id: $id) }"
LIST = """query($n: String!) { viewer { account(number: $n) {
  usageMarkers { id name note at from to } } } }"""


async def markers(gateway: Gateway, account: str, as_user: str = DEMO_EMAIL) -> Any:
    return (await run(gateway, LIST, as_user=as_user, n=account))["viewer"]["account"][
        "usageMarkers"
    ]


def days_ago(days: int) -> str:
    return (today() - timedelta(days=days)).isoformat()


async def test_a_member_creates_lists_changes_and_deletes_markers(gateway: Gateway) -> None:
    pump_day, trip_from, trip_to = days_ago(270), days_ago(180), days_ago(167)
    pump = await create(
        gateway,
        DEMO_SHOP_ACCOUNT,
        name=" New  heat pump ",
        note="3-ton\nouter unit",
        at=pump_day,
    )
    assert (pump["name"], pump["note"], pump["at"], pump["from"], pump["to"]) == (
        "New heat pump",
        "3-ton\nouter unit",
        pump_day,
        None,
        None,
    )
    assert pump["accountNumber"] == DEMO_SHOP_ACCOUNT
    assert pump["createdAt"] == pump["updatedAt"]
    assert pump["createdAt"][-6:] in {"-05:00", "-06:00"}  # the co-op's zone
    trip = await create(
        gateway, DEMO_SHOP_ACCOUNT, name="Vacation", **{"from": trip_from, "to": trip_to}
    )
    assert (trip["at"], trip["from"], trip["to"], trip["note"]) == (None, trip_from, trip_to, None)
    assert await markers(gateway, DEMO_SHOP_ACCOUNT) == [
        {key: trip[key] for key in ("id", "name", "note", "at", "from", "to")},
        {key: pump[key] for key in ("id", "name", "note", "at", "from", "to")},
    ]
    assert await markers(gateway, DEMO_HOME_ACCOUNT) == []

    changed = (
        await run(
            gateway,
            UPDATE,
            id=pump["id"],
            m={"name": "Heat pump", "note": " ", "from": pump_day, "to": days_ago(268)},
        )
    )["updateUsageMarker"]
    assert changed == {
        "id": pump["id"],
        "name": "Heat pump",
        "note": None,
        "at": None,
        "from": pump_day,
        "to": days_ago(268),
    }
    assert await run(gateway, DELETE, id=trip["id"]) == {"deleteUsageMarker": True}
    assert await markers(gateway, DEMO_SHOP_ACCOUNT) == [changed]


async def test_markers_are_their_authors_alone(gateway: Gateway) -> None:
    day = days_ago(200)
    mine = await create(gateway, DEMO_SHOP_ACCOUNT, name="Welder", at=day)
    refused = await gateway.run(
        CREATE, as_user=FARM_EMAIL, n=DEMO_SHOP_ACCOUNT, m={"name": "x", "at": day}
    )
    assert codes(refused) == {"createUsageMarker": "NOT_FOUND"}
    for query in (UPDATE, DELETE):
        answer = await gateway.run(
            query, as_user=FARM_EMAIL, id=mine["id"], m={"name": "mine now", "at": day}
        )
        assert set(codes(answer).values()) == {"NOT_FOUND"}
    # Staff read the account, but a member's markers stay the member's.
    staff = await run(
        gateway,
        "query($n: String!) { account(number: $n) { usageMarkers { id } } }",
        as_user=STAFF_EMAIL,
        n=DEMO_SHOP_ACCOUNT,
    )
    assert staff == {"account": {"usageMarkers": []}}
    assert [marker["id"] for marker in await markers(gateway, DEMO_SHOP_ACCOUNT)] == [mine["id"]]
    missing = await gateway.run(DELETE, as_user=DEMO_EMAIL, id=mine["id"] + 1000)
    assert codes(missing) == {"deleteUsageMarker": "NOT_FOUND"}
    too_long = await gateway.run(
        CREATE, as_user=STAFF_EMAIL, n="9" * 33, m={"name": "x", "at": day}
    )
    assert codes(too_long) == {"createUsageMarker": "NOT_FOUND"}


async def test_a_read_only_access_token_lists_markers_but_makes_none(gateway: Gateway) -> None:
    await create(gateway, DEMO_SHOP_ACCOUNT, name="Welder", at=days_ago(200))
    principal = await authenticate(
        gateway.services.db,
        gateway.services.cooperative.id,
        await gateway.log_in(DEMO_EMAIL),
        lifetimes=LIFETIMES,
    )
    assert principal is not None
    async with gateway.services.db.begin() as session:
        created = await create_access_token(
            session, principal, "thermostat", TokenScope.READ_ONLY, None, datetime.now(UTC)
        )
    gateway.tokens["script"] = created.token

    assert [marker["name"] for marker in await markers(gateway, DEMO_SHOP_ACCOUNT, "script")] == [
        "Welder"
    ]
    refused = await gateway.run(
        CREATE, as_user="script", n=DEMO_SHOP_ACCOUNT, m={"name": "x", "at": days_ago(199)}
    )
    assert codes(refused) == {"createUsageMarker": "FORBIDDEN"}


def _bad_markers() -> list[dict[str, Any]]:
    soon = today() + timedelta(days=10)
    day, next_day = days_ago(100), days_ago(99)
    return [
        {"name": "   ", "at": day},
        {"name": "x" * 81, "at": day},
        {"name": "x", "note": "y" * 1001, "at": day},
        {"name": "x", "note": "a\x00b", "at": day},
        {"name": "a\u200bb", "at": day},
        {"name": "x"},
        {"name": "x", "from": day},
        {"name": "x", "at": day, "from": day, "to": next_day},
        {"name": "x", "from": next_day, "to": day},
        {"name": "x", "from": day, "to": days_ago(100 - 92)},  # 93 days: one too many
        {"name": "x", "at": (soon + timedelta(days=366)).isoformat()},
        {"name": "x", "at": (today() - timedelta(days=3700)).isoformat()},
    ]


@pytest.mark.parametrize("marker", _bad_markers())
async def test_bad_markers_are_bad_user_input(gateway: Gateway, marker: dict[str, Any]) -> None:
    result = await gateway.run(CREATE, as_user=DEMO_EMAIL, n=DEMO_SHOP_ACCOUNT, m=marker)
    assert codes(result) == {"createUsageMarker": "BAD_USER_INPUT"}
    assert await markers(gateway, DEMO_SHOP_ACCOUNT) == []


COMPARED = """mutation($n: String!, $m: UsageMarkerInput!) {
  createUsageMarker(accountNumber: $n, marker: $m) { id comparison(days: 3) {
    before { daysMeasured } yearEarlier { marked { daysMeasured } } } } }"""
UPDATE_COMPARED = """mutation($id: Int!, $m: UsageMarkerInput!) {
  updateUsageMarker(id: $id, marker: $m) { comparison(days: 3) { marked { daysMeasured } } } }"""


async def test_staff_reading_a_members_usage_through_a_marker_is_audited(gateway: Gateway) -> None:
    """Staff may mark any account, and a marker's comparison reads its usage: a staff read,
    as ``account(number:)`` is one."""
    marker = {"name": "Meter swap", "at": days_ago(40)}
    await run(gateway, COMPARED, n=DEMO_SHOP_ACCOUNT, m=marker)  # the member's own
    assert await staff_reads(gateway) == []

    created = await run(gateway, COMPARED, as_user=STAFF_EMAIL, n=DEMO_SHOP_ACCOUNT, m=marker)
    changed = {**marker, "at": days_ago(41)}
    marker_id = created["createUsageMarker"]["id"]
    await run(gateway, UPDATE_COMPARED, as_user=STAFF_EMAIL, id=marker_id, m=changed)
    users = await user_ids(gateway)
    # One event per request, though the first read the usage twice (comparison, year earlier).
    assert [
        (event.kind, event.account_number, event.actor_user_id, event.user_id)
        for event in await staff_reads(gateway)
    ] == [("STAFF_READ", DEMO_SHOP_ACCOUNT, users[STAFF_EMAIL], users[DEMO_EMAIL])] * 2


async def test_a_list_of_accounts_reads_its_markers_in_one_query(
    gateway: Gateway, engine: AsyncEngine
) -> None:
    for account in DEMO_ACCOUNTS:
        await create(gateway, account, name=f"on {account}", at=days_ago(30))
    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM usage_markers" in statement:
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        data = await run(gateway, "{ viewer { accounts { number usageMarkers { name } } } }")
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", note)
    assert {
        account["number"]: [marker["name"] for marker in account["usageMarkers"]]
        for account in data["viewer"]["accounts"]
    } == {account: [f"on {account}"] for account in DEMO_ACCOUNTS}
    assert len(statements) == 1


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
async def test_creates_at_once_do_not_pass_the_limit(gateway: Gateway) -> None:
    """Each create counts the login's markers on the account and adds one: at once, each
    could count the others' markers out. Both databases, as they lock differently."""
    users = await user_ids(gateway)
    async with gateway.services.db.begin() as session:
        session.add_all(
            UsageMarker(
                user_id=users[DEMO_EMAIL],
                cooperative_id=gateway.services.cooperative.id,
                account_number=DEMO_SHOP_ACCOUNT,
                name=f"marker {number}",
                first_day=today(),
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
            for number in range(MAX_MARKERS_PER_ACCOUNT - 2)
        )
    await gateway.log_in(DEMO_EMAIL)
    results = await asyncio.gather(
        *(
            gateway.run(
                CREATE,
                as_user=DEMO_EMAIL,
                n=DEMO_SHOP_ACCOUNT,
                m={"name": f"at once {number}", "at": days_ago(number)},
            )
            for number in range(5)
        )
    )
    answers = sorted(codes(result).get("createUsageMarker", "created") for result in results)
    assert answers == ["BAD_USER_INPUT"] * 3 + ["created"] * 2
    assert len(await markers(gateway, DEMO_SHOP_ACCOUNT)) == MAX_MARKERS_PER_ACCOUNT
