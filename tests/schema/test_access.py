"""Who reaches what: members only their own accounts, through every entry point; staff any."""

from __future__ import annotations

import pytest

from adapters.cis_soap.simulator.demo import (
    DEMO_ACCOUNTS,
    DEMO_EMAIL,
    DEMO_HOME_ACCOUNT,
    FARM_ACCOUNTS,
    FARM_EMAIL,
)
from schema.node import global_id

from .harness import OTHER_EMAIL, STAFF_EMAIL, Gateway, codes

FARM_ACCOUNT = FARM_ACCOUNTS[0]


async def test_anonymous_requests_get_no_viewer(gateway: Gateway) -> None:
    result = await gateway.run("{ viewer { email } }")
    assert result.data == {"viewer": None}
    assert codes(result) == {"viewer": "UNAUTHENTICATED"}


@pytest.mark.parametrize(
    ("query", "variables", "path", "code"),
    [
        (
            "query($n: String!) { viewer { account(number: $n) { number } } }",
            "n",
            "viewer.account",
            "NOT_FOUND",
        ),
        ("query($n: String!) { account(number: $n) { number } }", "n", "account", "FORBIDDEN"),
        ("query($i: ID!) { node(id: $i) { id } }", "i", "node", "NOT_FOUND"),
        ("query($e: String!) { member(email: $e) { email } }", "e", "member", "FORBIDDEN"),
    ],
)
async def test_a_member_cannot_reach_another_members_account(
    gateway: Gateway, query: str, variables: str, path: str, code: str
) -> None:
    value = {
        "n": FARM_ACCOUNT,
        "i": global_id("Account", FARM_ACCOUNT),
        "e": FARM_EMAIL,
    }[variables]
    result = await gateway.run(query, as_user=DEMO_EMAIL, **{variables: value})
    assert codes(result) == {path: code}
    assert gateway.services.adapter.calls == {}  # type: ignore[attr-defined]


async def test_a_member_reaches_their_own_account_every_way(gateway: Gateway) -> None:
    account_id = global_id("Account", DEMO_HOME_ACCOUNT)
    result = await gateway.run(
        """query($n: String!, $i: ID!) {
          viewer { email accounts { id } account(number: $n) { id number } }
          node(id: $i) { id ... on Account { number balance { total } } }
        }""",
        as_user=DEMO_EMAIL,
        n=DEMO_HOME_ACCOUNT,
        i=account_id,
    )
    assert result.errors is None
    assert result.data is not None
    viewer = result.data["viewer"]
    assert viewer["email"] == DEMO_EMAIL
    assert [account["id"] for account in viewer["accounts"]] == [
        global_id("Account", number) for number in sorted(DEMO_ACCOUNTS)
    ]
    assert viewer["account"] == {"id": account_id, "number": DEMO_HOME_ACCOUNT}
    assert result.data["node"]["number"] == DEMO_HOME_ACCOUNT


async def test_staff_look_any_account_and_member_up(gateway: Gateway) -> None:
    result = await gateway.run(
        """query($n: String!, $i: ID!, $e: String!) {
          account(number: $n) { number }
          node(id: $i) { ... on Account { number } }
          member(email: $e) { email accounts { number } account(number: $n) { number } }
        }""",
        as_user=STAFF_EMAIL,
        n=FARM_ACCOUNT,
        i=global_id("Account", DEMO_HOME_ACCOUNT),
        e=FARM_EMAIL.upper(),
    )
    assert result.errors is None
    assert result.data == {
        "account": {"number": FARM_ACCOUNT},
        "node": {"number": DEMO_HOME_ACCOUNT},
        "member": {
            "email": FARM_EMAIL,
            "accounts": [{"number": number} for number in sorted(FARM_ACCOUNTS)],
            "account": {"number": FARM_ACCOUNT},
        },
    }


async def test_unknown_things_are_not_found_for_staff_too(gateway: Gateway) -> None:
    result = await gateway.run(
        """{ account(number: "00000000") { number } member(email: "nobody@example.coop")
             { email } node(id: "not-a-global-id") { id } }""",
        as_user=STAFF_EMAIL,
    )
    assert codes(result) == {"account": "NOT_FOUND", "member": "NOT_FOUND", "node": "NOT_FOUND"}


async def test_a_member_without_accounts_has_an_empty_dashboard(gateway: Gateway) -> None:
    result = await gateway.run(
        "{ viewer { name totalDue accounts { number } } }", as_user=OTHER_EMAIL
    )
    assert result.errors is None
    assert result.data == {"viewer": {"name": None, "totalDue": "0.00", "accounts": []}}


INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize("user", [None, DEMO_EMAIL])
async def test_introspection_is_forbidden_but_to_staff(gateway: Gateway, user: str | None) -> None:
    refused = await gateway.run(INTROSPECTION, as_user=user)
    assert refused.data is None
    assert [error.extensions["code"] for error in refused.errors or []] == ["FORBIDDEN"]
    hidden = await gateway.run(
        '{ ...T } fragment T on Query { __type(name: "Account") { name } }', as_user=user
    )
    assert [error.extensions["code"] for error in hidden.errors or []] == ["FORBIDDEN"]
    # The validation cache now holds the document: staff still get their answer.
    allowed = await gateway.run(INTROSPECTION, as_user=STAFF_EMAIL)
    assert allowed.errors is None
    assert allowed.data == {"__schema": {"queryType": {"name": "Query"}}}
    typename = await gateway.run("{ __typename }", as_user=user)
    assert typename.data == {"__typename": "Query"}


async def test_field_suggestions_are_for_staff_only(gateway: Gateway) -> None:
    typo = "{ viewer { acounts { number } } }"
    staff = await gateway.run(typo, as_user=STAFF_EMAIL)
    member = await gateway.run(typo, as_user=DEMO_EMAIL)
    assert staff.errors is not None
    assert member.errors is not None
    assert "Did you mean 'accounts'" in staff.errors[0].message
    assert member.errors[0].message == "Cannot query field 'acounts' on type 'Member'."
    assert member.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    # Staff asking again get the suggestion: the cached error was not cut.
    again = await gateway.run(typo, as_user=STAFF_EMAIL)
    assert again.errors is not None
    assert "Did you mean" in again.errors[0].message
