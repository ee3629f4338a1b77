"""CIS failures stay on their fields, surprises are masked, login and logout, public fields."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.cis_soap.simulator.demo import DEMO_ACCOUNTS, DEMO_EMAIL, FARM_EMAIL
from gateway.auth.bearer import authenticate
from tests.resolvers.counting import CountingCis

from .harness import LIFETIMES, PASSWORD, Gateway, codes

ACCOUNTS = "{ viewer { email accounts { number balance { total } bills { totalCount } } } }"


async def test_a_cis_failure_fails_only_the_fields_that_needed_it(gateway: Gateway) -> None:
    counting: CountingCis = gateway.services.adapter  # type: ignore[assignment]
    counting.failing = {"get_bills"}
    result = await gateway.run(ACCOUNTS, as_user=DEMO_EMAIL)

    assert codes(result) == {
        f"viewer.accounts.{index}.bills": "CIS_UNAVAILABLE" for index in range(len(DEMO_ACCOUNTS))
    }
    assert result.data is not None
    for account in result.data["viewer"]["accounts"]:
        assert account["bills"] is None
        assert account["balance"]["total"]
    assert "get_bills is down" not in str([error.message for error in result.errors or []])


async def test_unexpected_errors_are_masked(
    gateway: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    counting: CountingCis = gateway.services.adapter  # type: ignore[assignment]

    async def broken(*_: Any) -> Any:
        raise RuntimeError("secret internals at /srv/cis")

    counting.get_rate_schedules = broken  # type: ignore[method-assign]
    query = '{ viewer { account(number: "90000101") { number rate { code } } } }'
    with caplog.at_level(logging.ERROR, logger="schema.extensions"):
        result = await gateway.run(query, as_user=DEMO_EMAIL)

    assert result.errors is not None
    [error] = result.errors
    assert error.message == "internal error"
    assert error.extensions == {"code": "INTERNAL"}
    assert result.data == {"viewer": {"account": {"number": "90000101", "rate": None}}}
    assert "secret internals" in caplog.text  # logged for the operator, not sent


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ viewer { ", "BAD_USER_INPUT"),
        (
            'query($d: Date!) { viewer { account(number: "1") {'
            " outageHistory(from: $d) { id } } } }",
            "BAD_USER_INPUT",
        ),
    ],
)
async def test_malformed_requests_are_bad_user_input(
    gateway: Gateway, query: str, code: str
) -> None:
    result = await gateway.run(
        query, as_user=DEMO_EMAIL, **({"d": "not-a-date"} if "$d" in query else {})
    )
    assert [error.extensions["code"] for error in result.errors or []] == [code]


LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p, clientKind: MOBILE) {
  token expiresAt viewer { email accounts { number } } } }"""


async def test_login_then_logout(gateway: Gateway) -> None:
    wrong = await gateway.run(LOGIN, e=DEMO_EMAIL, p="not-it")
    unknown = await gateway.run(LOGIN, e="nobody@example.coop", p=PASSWORD)
    assert codes(wrong) == codes(unknown) == {"login": "UNAUTHENTICATED"}

    result = await gateway.run(LOGIN, e=DEMO_EMAIL.upper(), p=PASSWORD)
    assert result.errors is None
    assert result.data is not None
    login = result.data["login"]
    assert login["viewer"]["email"] == DEMO_EMAIL
    assert [account["number"] for account in login["viewer"]["accounts"]] == sorted(DEMO_ACCOUNTS)
    db, coop = gateway.services.db, gateway.services.cooperative.id
    assert await authenticate(db, coop, login["token"], lifetimes=LIFETIMES) is not None

    gateway.tokens[DEMO_EMAIL] = login["token"]
    logged_out = await gateway.run("mutation { logout }", as_user=DEMO_EMAIL)
    assert logged_out.data == {"logout": True}
    assert await authenticate(db, coop, login["token"], lifetimes=LIFETIMES) is None
    anonymous = await gateway.run("mutation { logout }")
    assert anonymous.data == {"logout": False}


async def test_offices_are_public_and_sorted_by_distance(gateway: Gateway) -> None:
    query = "{ offices(near: {lat: 41.42, lon: -100.19}, limit: 2) { name kind distanceKm hours } }"
    result = await gateway.run(query)
    assert result.errors is None
    assert result.data is not None
    offices = result.data["offices"]
    assert offices[0]["name"] == "Arnold Office"
    assert offices[0]["distanceKm"] < 1 < offices[1]["distanceKm"]
    assert len(offices) == 2
    everything = await gateway.run("{ offices(limit: 50) { name distanceKm } }")
    assert everything.data is not None
    names = [office["name"] for office in everything.data["offices"]]
    assert names == [office.name for office in gateway.services.cooperative.offices]
    refused = await gateway.run("{ offices(limit: 0) { name } }")
    assert codes(refused) == {"offices": "BAD_USER_INPUT"}


async def test_the_outage_map_needs_a_login(gateway: Gateway) -> None:
    query = "{ outages { id status startedAt area { centroid { latitude } } } }"
    assert codes(await gateway.run(query)) == {"outages": "UNAUTHENTICATED"}
    result = await gateway.run(query, as_user=FARM_EMAIL)
    assert result.errors is None
    assert result.data is not None
    outages = result.data["outages"]
    assert outages  # the demo cabin's outage at least
    node = await gateway.run(
        "query($i: ID!) { node(id: $i) { ... on Outage { id status } } }",
        as_user=FARM_EMAIL,
        i=outages[0]["id"],
    )
    assert node.data == {"node": {"id": outages[0]["id"], "status": outages[0]["status"]}}
