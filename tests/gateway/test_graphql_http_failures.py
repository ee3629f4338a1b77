"""The real app over HTTP when things go wrong: the CIS down, hostile or broken requests,
and introspection, which is for staff."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from adapters.cis_soap.simulator.demo import DEMO_EMAIL, DEMO_HOME_ACCOUNT
from schema.limits import MAX_QUERY_DEPTH, MAX_QUERY_TOKENS
from tests.gateway.live_gateway import error_codes, graphql, log_in
from tests.schema.harness import PASSWORD, STAFF_EMAIL
from tests.simulator_process import SimulatorControl

pytestmark = pytest.mark.usefixtures("demo_users")

CODES = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "BAD_USER_INPUT", "CIS_UNAVAILABLE"}
REQUEST_CODES = {"BAD_REQUEST", "METHOD_NOT_ALLOWED", "PAYLOAD_TOO_LARGE", "URI_TOO_LONG"}
INTERNALS = ("Traceback", 'File "', "Error(", "/site-packages/", "Connection refused")

DASHBOARD_WITH_OFFICES = """{
  viewer { email accounts { number balance { total } } }
  offices(limit: 2) { name }
}"""


def assert_clean(response: httpx.Response) -> dict[str, Any]:
    """A JSON answer whose every error has a stable code and which shows no internals."""
    assert response.status_code in (200, 400), response.text
    answer: dict[str, Any] = response.json()
    assert set(error_codes(answer)) <= CODES | REQUEST_CODES, answer
    assert all(error["message"] for error in answer.get("errors", [])), answer
    assert not any(internal in response.text for internal in INTERNALS), response.text
    return answer


@pytest.mark.parametrize(
    "knobs",
    [{"outage": "refuse", "outage_seconds": 30}, {"fault_rate": 1.0}],
    ids=["connections-refused", "every-call-faults"],
)
async def test_a_cis_outage_fails_only_the_fields_that_need_the_cis(
    gateway: httpx.AsyncClient, simulator_control: SimulatorControl, knobs: dict[str, object]
) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    simulator_control.set(**knobs)
    response = await gateway.post(
        "/graphql",
        json={"query": DASHBOARD_WITH_OFFICES},
        headers={"Authorization": f"Bearer {token}"},
    )
    answer = assert_clean(response)
    assert response.status_code == 200
    assert error_codes(answer) == ["CIS_UNAVAILABLE"], answer
    assert answer["errors"][0]["path"] == ["viewer", "accounts"]
    assert answer["data"]["viewer"] == {"email": DEMO_EMAIL, "accounts": None}
    assert len(answer["data"]["offices"]) == 2


def body(query: str, **extra: object) -> str:
    return json.dumps({"query": query, **extra})


def on_home(selection: str) -> str:
    """A POST body selecting ``selection`` on the demo member's home account."""
    return body(f'{{ viewer {{ account(number: "{DEMO_HOME_ACCOUNT}") {{ {selection} }} }} }}')


# Fields nested one past the limit (whether they exist or not: the limit comes first).
DEEP = "{ viewer { " + "account { " * MAX_QUERY_DEPTH + "number" + " }" * (MAX_QUERY_DEPTH + 2)
CYCLE = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
MANY_TOKENS = "{ " + "__typename " * MAX_QUERY_TOKENS + "}"
ACCOUNT_VARIABLE = "query($n: String!) { viewer { account(number: $n) { number } } }"
BAD = "BAD_USER_INPUT"
# (what is wrong, method, POST body or GET query, HTTP status, the code of its errors)
BAD_REQUESTS: list[tuple[str, str, str, int, str]] = [
    ("syntax", "POST", body("{ viewer { "), 200, BAD),
    ("unknown field", "POST", body("{ viewer { nope } }"), 200, BAD),
    ("unknown fragment", "POST", body("{ ...Nope }"), 200, BAD),
    ("fragment cycle", "POST", body(CYCLE), 200, BAD),
    ("wrong variable type", "POST", body(ACCOUNT_VARIABLE, variables={"n": {"a": 1}}), 200, BAD),
    ("missing variable", "POST", body(ACCOUNT_VARIABLE), 200, BAD),
    ("huge page", "POST", on_home("bills(first: 100000) { totalCount }"), 200, BAD),
    ("int overflow", "POST", on_home("bills(first: 9999999999) { totalCount }"), 200, BAD),
    ("malformed cursor", "POST", on_home('bills(after: "%%") { totalCount }'), 200, BAD),
    ("bad date", "POST", on_home('payments(from: "2025-13-45") { totalCount }'), 200, BAD),
    ("unknown enum", "POST", on_home("usage(resolution: WEEKLY) { start }"), 200, BAD),
    ("bad global id", "POST", body('{ node(id: "!!") { id } }'), 200, "NOT_FOUND"),
    ("bad coordinates", "POST", body("{ offices(near: {lat: 91, lon: 0}) { name } }"), 200, BAD),
    ("deep", "POST", body(DEEP), 200, BAD),
    ("many tokens", "POST", body(MANY_TOKENS), 200, BAD),
    (
        "unknown operation",
        "POST",
        body("query A { __typename }", operationName="B"),
        400,
        "BAD_REQUEST",
    ),
    ("mutation over GET", "GET", "mutation { logout }", 400, "BAD_REQUEST"),
    ("bad JSON", "POST", '{"query": ', 400, "BAD_REQUEST"),
    ("too large", "POST", body("{ __typename }" + " " * 40_000), 413, "PAYLOAD_TOO_LARGE"),
]


async def test_nothing_a_client_sends_causes_a_500(gateway: httpx.AsyncClient) -> None:
    token = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for wrong, method, sent, status, code in BAD_REQUESTS:
        if method == "GET":
            response = await gateway.get("/graphql", params={"query": sent}, headers=headers)
        else:
            response = await gateway.post("/graphql", content=sent, headers=headers)
        assert response.status_code == status, (wrong, response.text)
        assert response.headers["content-type"] == "application/json", wrong
        if status != 413:
            assert_clean(response)
        assert set(error_codes(response.json())) == {code}, (wrong, response.text)


def nested_fragments(levels: int) -> str:
    """A document nesting ``levels`` fields, one fragment a level."""
    spreads = "".join(
        f" fragment F{level} on Member {{ f{level} {{ ...F{level + 1} }} }}"
        for level in range(levels)
    )
    return f"{{ viewer {{ ...F0 }} }}{spreads} fragment F{levels} on Member {{ email }}"


def doubling_fragments(levels: int) -> str:
    """A small document whose fragments, spread twice a level, expand to 2**levels fields."""
    spreads = "".join(
        f" fragment F{level} on Query {{ ...F{level + 1} ...F{level + 1} }}"
        for level in range(levels)
    )
    return f"{{ ...F0 }}{spreads} fragment F{levels} on Query {{ __typename }}"


async def test_hostile_documents_are_refused_by_the_cost_limits(gateway: httpx.AsyncClient) -> None:
    too_deep = f"fields are nested more than {MAX_QUERY_DEPTH} deep"
    too_long = f"Document contains more than {MAX_QUERY_TOKENS} tokens"
    for document, refusal in [
        (DEEP, too_deep),
        (nested_fragments(MAX_QUERY_DEPTH), too_deep),
        (MANY_TOKENS, too_long),
        ("{ " + "a: __typename " * (MAX_QUERY_TOKENS // 3 + 1) + "}", too_long),
    ]:
        answer = assert_clean(await gateway.post("/graphql", json={"query": document}))
        assert any(refusal in error["message"] for error in answer["errors"]), answer
        assert set(error_codes(answer)) == {"BAD_USER_INPUT"}
    # Within the limits, neither the depth nor the expansion of fragments is refused.
    for document in (nested_fragments(MAX_QUERY_DEPTH - 2), doubling_fragments(40)):
        answer = assert_clean(await gateway.post("/graphql", json={"query": document}))
        assert not any(too_deep in error["message"] for error in answer.get("errors", [])), answer


async def test_introspection_is_for_staff(gateway: httpx.AsyncClient) -> None:
    introspection = get_introspection_query(descriptions=True)
    member = await log_in(gateway, DEMO_EMAIL, PASSWORD)
    staff = await log_in(gateway, STAFF_EMAIL, PASSWORD)
    for token in (None, member):
        refused = await graphql(gateway, introspection, token=token)
        assert refused == {
            "data": None,
            "errors": [
                {"message": "introspection is for co-op staff", "extensions": {"code": "FORBIDDEN"}}
            ],
        }
    # GraphiQL's own introspection passes the cost limits.
    allowed = await graphql(gateway, introspection, token=staff)
    assert "errors" not in allowed
    types = {kind["name"] for kind in allowed["data"]["__schema"]["types"]}
    assert {"Account", "Member", "Money", "Outage"} <= types


async def test_a_browser_gets_graphiql(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()
    assert "<script" in response.text
