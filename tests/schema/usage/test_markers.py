"""Usage markers in the gateway's store: create, list, update and delete them, who may, and
what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.cis_soap.simulator.demo import (
    DEMO_EMAIL,
    DEMO_HOME_ACCOUNT,
    DEMO_SHOP_ACCOUNT,
    FARM_EMAIL,
)
from gateway.auth.access_tokens import create_access_token
from gateway.auth.bearer import authenticate
from gateway.store.models import TokenScope
from tests.schema.harness import LIFETIMES, STAFF_EMAIL, Gateway, codes

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


async def test_a_member_creates_lists_changes_and_deletes_markers(gateway: Gateway) -> None:
    pump = await create(
        gateway,
        DEMO_SHOP_ACCOUNT,
        name=" New  heat pump ",
        note="3-ton\nouter unit",
        at="2026-03-02",
    )
    assert (pump["name"], pump["note"], pump["at"], pump["from"], pump["to"]) == (
        "New heat pump",
        "3-ton\nouter unit",
        "2026-03-02",
        None,
        None,
    )
    assert pump["accountNumber"] == DEMO_SHOP_ACCOUNT
    assert pump["createdAt"] == pump["updatedAt"]
    assert pump["createdAt"][-6:] in {"-05:00", "-06:00"}  # the co-op's zone
    trip = await create(
        gateway, DEMO_SHOP_ACCOUNT, name="Vacation", **{"from": "2026-06-01", "to": "2026-06-14"}
    )
    assert (trip["at"], trip["from"], trip["to"], trip["note"]) == (
        None,
        "2026-06-01",
        "2026-06-14",
        None,
    )
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
            m={"name": "Heat pump", "note": " ", "from": "2026-03-02", "to": "2026-03-04"},
        )
    )["updateUsageMarker"]
    assert changed == {
        "id": pump["id"],
        "name": "Heat pump",
        "note": None,
        "at": None,
        "from": "2026-03-02",
        "to": "2026-03-04",
    }
    assert await run(gateway, DELETE, id=trip["id"]) == {"deleteUsageMarker": True}
    assert await markers(gateway, DEMO_SHOP_ACCOUNT) == [changed]


async def test_markers_are_their_authors_alone(gateway: Gateway) -> None:
    mine = await create(gateway, DEMO_SHOP_ACCOUNT, name="Welder", at="2026-05-01")
    refused = await gateway.run(
        CREATE, as_user=FARM_EMAIL, n=DEMO_SHOP_ACCOUNT, m={"name": "x", "at": "2026-05-01"}
    )
    assert codes(refused) == {"createUsageMarker": "NOT_FOUND"}
    for query in (UPDATE, DELETE):
        answer = await gateway.run(
            query, as_user=FARM_EMAIL, id=mine["id"], m={"name": "mine now", "at": "2026-05-01"}
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
        CREATE, as_user=STAFF_EMAIL, n="9" * 33, m={"name": "x", "at": "2026-05-01"}
    )
    assert codes(too_long) == {"createUsageMarker": "NOT_FOUND"}


async def test_a_read_only_access_token_lists_markers_but_makes_none(gateway: Gateway) -> None:
    await create(gateway, DEMO_SHOP_ACCOUNT, name="Welder", at="2026-05-01")
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
        CREATE, as_user="script", n=DEMO_SHOP_ACCOUNT, m={"name": "x", "at": "2026-05-02"}
    )
    assert codes(refused) == {"createUsageMarker": "FORBIDDEN"}


def _bad_markers() -> list[dict[str, Any]]:
    soon = today() + timedelta(days=10)
    return [
        {"name": "   ", "at": "2026-01-01"},
        {"name": "x" * 81, "at": "2026-01-01"},
        {"name": "x", "note": "y" * 1001, "at": "2026-01-01"},
        {"name": "x", "note": "a\x00b", "at": "2026-01-01"},
        {"name": "a\u200bb", "at": "2026-01-01"},
        {"name": "x"},
        {"name": "x", "from": "2026-01-01"},
        {"name": "x", "at": "2026-01-01", "from": "2026-01-01", "to": "2026-01-02"},
        {"name": "x", "from": "2026-01-02", "to": "2026-01-01"},
        {"name": "x", "from": "2026-01-01", "to": "2026-04-03"},  # 93 days: one too many
        {"name": "x", "at": (soon + timedelta(days=366)).isoformat()},
        {"name": "x", "at": (today() - timedelta(days=3700)).isoformat()},
    ]


@pytest.mark.parametrize("marker", _bad_markers())
async def test_bad_markers_are_bad_user_input(gateway: Gateway, marker: dict[str, Any]) -> None:
    result = await gateway.run(CREATE, as_user=DEMO_EMAIL, n=DEMO_SHOP_ACCOUNT, m=marker)
    assert codes(result) == {"createUsageMarker": "BAD_USER_INPUT"}
    assert await markers(gateway, DEMO_SHOP_ACCOUNT) == []
