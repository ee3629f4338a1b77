"""Staff reads of member data land in the audit log, which staff (and only staff) query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import strawberry
from sqlalchemy import select

from adapters.cis_soap.simulator.demo import (
    DEMO_CABIN_ACCOUNT,
    DEMO_EMAIL,
    DEMO_HOME_ACCOUNT,
    FARM_ACCOUNTS,
    FARM_EMAIL,
)
from gateway.auth.audit import AuditKind
from gateway.context import RequestContext
from gateway.store.models import AuditEvent, User
from schema.node import global_id

from .harness import STAFF_EMAIL, Gateway, codes, http_request

ADDRESS = "203.0.113.9"
FARM_ACCOUNT = FARM_ACCOUNTS[0]
EVENTS = """query($kind: String, $member: String, $account: String, $first: Int, $after: String) {
  auditEvents(kind: $kind, memberEmail: $member, accountNumber: $account, first: $first,
              after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor }
    nodes { at kind memberEmail actorEmail accountNumber clientAddress detail }
  }
}"""


async def run_from(
    gateway: Gateway, query: str, as_user: str | None, **variables: Any
) -> tuple[strawberry.types.ExecutionResult, RequestContext]:
    """Runs ``query`` as a request from ``ADDRESS`` (the harness's requests have none)."""
    context = await gateway.context(as_user)
    context.request = http_request(context.token, client=(ADDRESS, 50000))
    result = await gateway.schema.execute(query, variable_values=variables, context_value=context)
    return result, context


async def staff_reads(gateway: Gateway) -> list[AuditEvent]:
    async with gateway.services.db() as session:
        events = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.kind == AuditKind.STAFF_READ.value)
            .order_by(AuditEvent.id)
        )
        return list(events)


async def user_ids(gateway: Gateway) -> dict[str, int]:
    async with gateway.services.db() as session:
        rows = await session.execute(select(User.email, User.id))
        return {email: user_id for email, user_id in rows}


async def test_staff_reads_are_written_once_per_account_and_member(gateway: Gateway) -> None:
    result, context = await run_from(
        gateway,
        """query($n: String!, $farm: ID!, $home: ID!, $e: String!) {
          a: account(number: $n) { number }
          b: account(number: $n) { balance { total } }
          again: node(id: $farm) { id }
          node(id: $home) { ... on Account { number } }
          member(email: $e) { email accounts { number } }
        }""",
        STAFF_EMAIL,
        n=FARM_ACCOUNT,
        farm=global_id("Account", FARM_ACCOUNT),
        home=global_id("Account", DEMO_HOME_ACCOUNT),
        e=FARM_EMAIL.upper(),
    )
    assert result.errors is None

    ids = await user_ids(gateway)
    events = await staff_reads(gateway)
    # The farm account read three ways is one read; the member's login is another.
    assert sorted(
        (event.account_number or "", event.user_id, event.detail) for event in events
    ) == [
        ("", ids[FARM_EMAIL], "member"),
        (DEMO_HOME_ACCOUNT, ids[DEMO_EMAIL], "account"),
        (FARM_ACCOUNT, ids[FARM_EMAIL], "account"),
    ]
    for event in events:
        assert (event.actor_user_id, event.client_address) == (ids[STAFF_EMAIL], ADDRESS)
        assert (event.cooperative_id, event.at) == (context.cooperative.id, context.received_at)


async def test_a_staff_read_of_an_account_nobody_is_linked_to_names_no_member(
    gateway: Gateway,
) -> None:
    result, _ = await run_from(gateway, '{ account(number: "00000000") { number } }', STAFF_EMAIL)
    assert codes(result) == {"account": "NOT_FOUND"}
    [event] = await staff_reads(gateway)
    assert (event.account_number, event.user_id) == ("00000000", None)


async def test_members_reading_their_own_accounts_are_not_audited(gateway: Gateway) -> None:
    result, _ = await run_from(
        gateway,
        """query($n: String!, $i: ID!) {
          viewer { accounts { number } account(number: $n) { number } }
          node(id: $i) { id }
        }""",
        DEMO_EMAIL,
        n=DEMO_HOME_ACCOUNT,
        i=global_id("Account", DEMO_HOME_ACCOUNT),
    )
    assert result.errors is None
    assert await staff_reads(gateway) == []


async def staff_read(gateway: Gateway, query: str, **variables: Any) -> None:
    result, _ = await run_from(gateway, query, STAFF_EMAIL, **variables)
    assert result.errors is None


async def test_staff_page_through_the_log_newest_first(gateway: Gateway) -> None:
    account = "query($n: String!) { account(number: $n) { number } }"
    await staff_read(gateway, account, n=DEMO_HOME_ACCOUNT)
    await staff_read(gateway, account, n=FARM_ACCOUNT)
    await staff_read(gateway, "query($e: String!) { member(email: $e) { email } }", e=FARM_EMAIL)
    await staff_read(gateway, account, n=DEMO_CABIN_ACCOUNT)

    first, _ = await run_from(gateway, EVENTS, STAFF_EMAIL, kind="STAFF_READ", first=3)
    assert first.errors is None
    assert first.data is not None
    page = first.data["auditEvents"]
    assert page["totalCount"] == 4
    assert page["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "endCursor": page["edges"][-1]["cursor"],
    }
    assert [(node["accountNumber"], node["memberEmail"]) for node in page["nodes"]] == [
        (DEMO_CABIN_ACCOUNT, DEMO_EMAIL),
        (None, FARM_EMAIL),
        (FARM_ACCOUNT, FARM_EMAIL),
    ]
    newest = page["nodes"][0]
    assert newest["kind"] == "STAFF_READ"
    assert (newest["actorEmail"], newest["clientAddress"], newest["detail"]) == (
        STAFF_EMAIL,
        ADDRESS,
        "account",
    )
    at = datetime.fromisoformat(newest["at"])
    zone = gateway.services.cooperative.time_zone
    assert at.utcoffset() == at.astimezone(zone).utcoffset()  # in the co-op's time zone

    rest, _ = await run_from(
        gateway,
        EVENTS,
        STAFF_EMAIL,
        kind="STAFF_READ",
        first=3,
        after=page["pageInfo"]["endCursor"],
    )
    assert rest.data is not None
    assert rest.data["auditEvents"]["pageInfo"]["hasNextPage"] is False
    assert rest.data["auditEvents"]["pageInfo"]["hasPreviousPage"] is True
    assert [node["accountNumber"] for node in rest.data["auditEvents"]["nodes"]] == [
        DEMO_HOME_ACCOUNT
    ]


async def test_staff_filter_the_log_by_member_and_account(gateway: Gateway) -> None:
    account = "query($n: String!) { account(number: $n) { number } }"
    await staff_read(gateway, account, n=DEMO_HOME_ACCOUNT)
    await staff_read(gateway, account, n=FARM_ACCOUNT)
    await staff_read(gateway, "query($e: String!) { member(email: $e) { email } }", e=FARM_EMAIL)

    async def nodes(**variables: Any) -> list[tuple[str | None, str | None]]:
        result, _ = await run_from(gateway, EVENTS, STAFF_EMAIL, kind="STAFF_READ", **variables)
        assert result.errors is None
        assert result.data is not None
        return [
            (node["accountNumber"], node["detail"]) for node in result.data["auditEvents"]["nodes"]
        ]

    assert await nodes(member=FARM_EMAIL.upper()) == [(None, "member"), (FARM_ACCOUNT, "account")]
    assert await nodes(account=DEMO_HOME_ACCOUNT) == [(DEMO_HOME_ACCOUNT, "account")]
    assert await nodes(member=DEMO_EMAIL, account=FARM_ACCOUNT) == []
    assert await nodes(member="nobody@example.coop") == []


async def test_the_log_without_a_kind_holds_security_events_too(gateway: Gateway) -> None:
    await staff_read(
        gateway, "query($n: String!) { account(number: $n) { number } }", n=FARM_ACCOUNT
    )
    result, _ = await run_from(gateway, EVENTS, STAFF_EMAIL)
    assert result.data is not None
    kinds = {node["kind"] for node in result.data["auditEvents"]["nodes"]}
    assert AuditKind.STAFF_READ.value in kinds
    assert AuditKind.LOGIN.value in kinds  # the harness's staff login


@pytest.mark.parametrize(
    "variables",
    [{"first": 0}, {"first": 201}, {"kind": "NOT_A_KIND"}, {"after": "bm90LWEtY3Vyc29y"}],
)
async def test_bad_arguments_are_bad_user_input(
    gateway: Gateway, variables: dict[str, Any]
) -> None:
    result, _ = await run_from(gateway, EVENTS, STAFF_EMAIL, **variables)
    assert codes(result) == {"auditEvents": "BAD_USER_INPUT"}


@pytest.mark.parametrize(("user", "code"), [(DEMO_EMAIL, "FORBIDDEN"), (None, "UNAUTHENTICATED")])
async def test_only_staff_read_the_log(gateway: Gateway, user: str | None, code: str) -> None:
    result, _ = await run_from(gateway, EVENTS, user)
    assert result.data == {"auditEvents": None}
    assert codes(result) == {"auditEvents": code}
