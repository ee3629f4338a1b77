"""The gateway over real HTTP: /graphql, co-op routing, bearer tokens, and bad requests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.demo import DEMO_ACCOUNTS, DEMO_EMAIL
from gateway.app import create_app
from gateway.auth.audit import Origin
from gateway.auth.login import LoginAttempt, login
from gateway.auth.users import create_user
from gateway.graphql_view import MAX_REQUEST_BYTES
from gateway.runtime import DatabaseNotReady
from gateway.settings import Settings
from gateway.store.models import Role, utc_now
from tests.gateway.live_gateway import (
    SECOND_COOP_HOST,
    SECOND_COOP_ID,
    SECOND_COOP_OFFICE,
    error_codes,
    graphql,
    log_in,
)
from tests.schema.harness import make_services

PASSWORD = "correct horse battery staple"
FIRST_OFFICE = "Broken Bow Headquarters"  # the demo co-op's first office
OFFICES = "{ offices(limit: 1) { name } }"
VIEWER = "{ viewer { email } }"


@pytest.fixture
async def member(sessions: async_sessionmaker[AsyncSession]) -> str:
    await create_user(sessions, "custer-prairie", DEMO_EMAIL, PASSWORD, Role.MEMBER, DEMO_ACCOUNTS)
    return DEMO_EMAIL


async def test_a_query_over_post_and_over_get(gateway: httpx.AsyncClient) -> None:
    posted = await graphql(gateway, OFFICES)
    got = await gateway.get("/graphql", params={"query": OFFICES})
    assert posted == got.json() == {"data": {"offices": [{"name": FIRST_OFFICE}]}}


async def test_a_mutation_over_get_is_refused(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/graphql", params={"query": "mutation { logout }"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "mutations are not allowed when using GET"


async def test_browsers_get_graphiql(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/graphql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "GraphiQL" in response.text


async def test_a_bearer_token_from_login_identifies_the_member(
    gateway: httpx.AsyncClient, member: str
) -> None:
    token = await log_in(gateway, member.upper(), PASSWORD)
    assert await graphql(gateway, VIEWER, token=token) == {"data": {"viewer": {"email": member}}}
    assert (await graphql(gateway, "mutation { logout }", token=token))["data"] == {"logout": True}
    assert error_codes(await graphql(gateway, VIEWER, token=token)) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer cgs_" + "x" * 43,  # well formed, never issued
        "Bearer not-a-token",
        "Basic ZGVtbzpkZW1v",
        "Bearer",
    ],
)
async def test_a_bad_token_is_anonymous(
    gateway: httpx.AsyncClient, member: str, authorization: str
) -> None:
    answer = await graphql(gateway, VIEWER, headers={"Authorization": authorization})
    assert error_codes(answer) == ["UNAUTHENTICATED"]
    assert await graphql(gateway, OFFICES, headers={"Authorization": authorization}) == {
        "data": {"offices": [{"name": FIRST_OFFICE}]}
    }


async def test_an_expired_token_is_anonymous(
    gateway: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession], member: str
) -> None:
    services = make_services(None, sessions)
    long_ago = utc_now() - services.lifetimes.web - timedelta(seconds=1)
    issued = await login(services, LoginAttempt(member, PASSWORD), Origin(None), long_ago)
    assert issued is not None
    assert error_codes(await graphql(gateway, VIEWER, token=issued.token)) == ["UNAUTHENTICATED"]


async def test_requests_go_to_the_co_op_of_their_header_or_host(
    gateway: httpx.AsyncClient, member: str
) -> None:
    async def first_office(headers: dict[str, str]) -> str:
        answer = await graphql(gateway, OFFICES, headers=headers)
        name: str = answer["data"]["offices"][0]["name"]
        return name

    assert await first_office({}) == FIRST_OFFICE  # 127.0.0.1 is the demo co-op's
    assert await first_office({"Host": "unknown.example"}) == FIRST_OFFICE  # the default
    assert await first_office({"Host": f"{SECOND_COOP_HOST}:8000"}) == SECOND_COOP_OFFICE
    assert await first_office({"X-Cooperative": SECOND_COOP_ID}) == SECOND_COOP_OFFICE
    header_wins = {"Host": SECOND_COOP_HOST, "X-Cooperative": "custer-prairie"}
    assert await first_office(header_wins) == FIRST_OFFICE
    # A token opens sessions at the co-op that issued it only.
    token = await log_in(gateway, member, PASSWORD)
    elsewhere = await graphql(gateway, VIEWER, token=token, headers={"Host": SECOND_COOP_HOST})
    assert error_codes(elsewhere) == ["UNAUTHENTICATED"]


async def test_an_unknown_co_op_is_a_clean_404(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/graphql", json={"query": OFFICES}, headers={"X-Cooperative": "nowhere"}
    )
    assert response.status_code == 404
    assert response.json() == {
        "errors": [
            {"message": "no co-op 'nowhere' is served here", "extensions": {"code": "NOT_FOUND"}}
        ]
    }


JSON = {"Content-Type": "application/json"}
TOO_LARGE = MAX_REQUEST_BYTES + 1


def _chunks() -> list[bytes]:
    return [b'{"query": "' + b" " * MAX_REQUEST_BYTES, b'{ __typename }"}']


@pytest.mark.parametrize(
    ("method", "body", "headers", "status", "code"),
    [
        ("POST", b"{not json", JSON, 400, "BAD_REQUEST"),
        ("POST", b'{"query": "{ __typename }"}', {"Content-Type": "text/plain"}, 400, None),
        ("POST", b"", {}, 400, None),
        ("POST", b'"{ __typename }"', JSON, 400, None),
        ("POST", b"null", JSON, 400, None),
        ("POST", b"[1]", JSON, 400, None),
        ("POST", b'{"query": 1}', JSON, 400, None),
        ("POST", b'{"query": "{ __typename }", "variables": []}', JSON, 400, None),
        ("POST", b"{}", JSON, 400, None),
        ("POST", b'{"query": "\xff\xfe"}', JSON, 400, None),
        ("POST", b"[" * 100_000 + b"]" * 100_000, JSON, 413, "PAYLOAD_TOO_LARGE"),
        ("POST", b"[" * 10_000 + b"]" * 10_000, JSON, 400, None),  # nested too deeply
        ("POST", b" " * TOO_LARGE, JSON, 413, "PAYLOAD_TOO_LARGE"),
        ("POST", _chunks(), JSON, 413, "PAYLOAD_TOO_LARGE"),
        ("PUT", b'{"query": "{ __typename }"}', JSON, 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", b"", {}, 405, "METHOD_NOT_ALLOWED"),
        ("GET", b"", {"Accept": "application/json"}, 400, None),
    ],
)
async def test_a_bad_request_gets_a_clean_4xx_json_answer(
    gateway: httpx.AsyncClient,
    method: str,
    body: bytes | list[bytes],
    headers: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    async def chunked(chunks: list[bytes]) -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    content = chunked(body) if isinstance(body, list) else body
    response = await gateway.request(method, "/graphql", content=content, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    (error,) = response.json()["errors"]
    assert error["message"]
    assert error["extensions"]["code"] == (code or "BAD_REQUEST")


async def test_query_strings_past_the_limit_are_refused(gateway: httpx.AsyncClient) -> None:
    query = "{ __typename }" + " " * MAX_REQUEST_BYTES
    response = await gateway.get("/graphql", params={"query": query})
    assert response.status_code == 414
    assert error_codes(response.json()) == ["URI_TOO_LONG"]


async def test_bad_variables_over_get_are_a_clean_400(gateway: httpx.AsyncClient) -> None:
    for variables in ("{oops", "5", json.dumps([1])):
        params = {"query": OFFICES, "variables": variables}
        response = await gateway.get("/graphql", params=params)
        assert response.status_code == 400, variables
        assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_an_unmigrated_database_is_refused_at_start(
    database_url: str, coop_files: tuple[Path, ...]
) -> None:
    app = create_app(Settings(database_url=database_url, cooperatives=coop_files))
    with pytest.raises(DatabaseNotReady, match=r"is not migrated;.* run `coop-gateway db upgrade`"):
        async with app.router.lifespan_context(app):
            pass
