"""The real gateway for HTTP tests: co-op files pointing at the test's simulator, and helpers
to send GraphQL to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.simulator_process import REPO

DEMO_COOP_FILE = REPO / "config" / "demo-coop.toml"
DEMO_CIS_URL = 'url = "http://127.0.0.1:8001/cis"'
SECOND_COOP_ID = "second-prairie"
SECOND_COOP_HOST = "second.localhost"
SECOND_COOP_OFFICE = "Second Prairie Office"


def demo_coop_file(folder: Path, soap_url: str) -> Path:
    """The demo co-op's file, its CIS at ``soap_url`` (the simulator's gateway/gateway-secret
    credentials are the file's own)."""
    text = DEMO_COOP_FILE.read_text()
    assert DEMO_CIS_URL in text
    path = folder / "demo-coop.toml"
    path.write_text(text.replace(DEMO_CIS_URL, f'url = "{soap_url}"'))
    return path


def second_coop_file(folder: Path, soap_url: str) -> Path:
    """Another co-op on the same CIS, with a host name and an office of its own."""
    path = folder / "second-coop.toml"
    path.write_text(
        f"""
id = "{SECOND_COOP_ID}"
name = "Second Prairie Electric"
time_zone = "America/Denver"
host_names = ["{SECOND_COOP_HOST}"]

[cis]
url = "{soap_url}"
user_id = "gateway"
password = "gateway-secret"
company = "SPEC"

[[offices]]
name = "{SECOND_COOP_OFFICE}"
kind = "office"
address = "1 Main St, Ogallala, NE 69153"
latitude = 41.128
longitude = -101.719
hours = ["Monday-Friday 8 a.m.-5 p.m."]
"""
    )
    return path


async def graphql(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POSTs a GraphQL request; returns the JSON answer (asserting HTTP 200)."""
    all_headers = {**(headers or {})}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=all_headers
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


LOGIN = """mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}"""


async def log_in(
    http: httpx.AsyncClient, email: str, password: str, headers: dict[str, str] | None = None
) -> str:
    answer = await graphql(http, LOGIN, {"email": email, "password": password}, headers=headers)
    assert "errors" not in answer, answer
    token: str = answer["data"]["login"]["token"]
    return token


def error_codes(answer: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in answer.get("errors", [])]
