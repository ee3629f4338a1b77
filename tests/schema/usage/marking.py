"""Asking the schema for usage markers, as a member."""

from __future__ import annotations

from typing import Any

from adapters.cis_soap.simulator.demo import DEMO_EMAIL
from tests.schema.harness import Gateway

CREATE = """mutation($n: String!, $m: UsageMarkerInput!) {
  createUsageMarker(accountNumber: $n, marker: $m) { id accountNumber name note at from to
    createdAt updatedAt } }"""


async def run(gateway: Gateway, query: str, as_user: str = DEMO_EMAIL, **variables: Any) -> Any:
    result = await gateway.run(query, as_user=as_user, **variables)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def create(gateway: Gateway, account: str, **marker: Any) -> dict[str, Any]:
    data = await run(gateway, CREATE, n=account, m=marker)
    created: dict[str, Any] = data["createUsageMarker"]
    return created
