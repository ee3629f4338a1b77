"""Per-account fields read for a whole list at once: what the selection asks, and no more."""

from __future__ import annotations

from adapters.cis_soap.simulator.demo import DEMO_ACCOUNTS, DEMO_EMAIL, FARM_ACCOUNTS, FARM_EMAIL
from tests.resolvers.counting import CountingCis

from .harness import Gateway, codes

ALIASED_PAGES = """
query($older: Date!, $size: Int!) {
  viewer {
    accounts {
      ...Pages
    }
  }
}
fragment Pages on Account {
  number
  recent: bills(first: $size) { nodes { id billDate } }
  older: bills(first: 2, to: $older) { nodes { id billDate } totalCount }
  payments(first: 1) { nodes { id } }
}
"""


async def test_aliases_variables_and_fragments_each_get_their_own_pages(gateway: Gateway) -> None:
    older = "2025-06-30"
    result = await gateway.run(ALIASED_PAGES, as_user=DEMO_EMAIL, older=older, size=3)

    assert result.errors is None
    assert result.data is not None
    accounts = result.data["viewer"]["accounts"]
    assert [account["number"] for account in accounts] == sorted(DEMO_ACCOUNTS)
    for account in accounts:
        assert len(account["recent"]["nodes"]) == 3
        assert len(account["older"]["nodes"]) == 2
        assert all(bill["billDate"] <= older for bill in account["older"]["nodes"])
        assert account["older"]["totalCount"] >= 2
        assert account["recent"]["nodes"][0]["billDate"] > older
        assert len(account["payments"]["nodes"]) == 1


async def test_a_list_reads_only_what_its_selection_asks(gateway: Gateway) -> None:
    counting: CountingCis = gateway.services.adapter  # type: ignore[assignment]
    result = await gateway.run("{ viewer { accounts { number dueDate } } }", as_user=FARM_EMAIL)

    assert result.errors is None
    assert counting.calls == {"get_accounts": 1}


async def test_locations_and_bills_are_read_beside_the_accounts(gateway: Gateway) -> None:
    """They are keyed by account number, so they need not wait for the account records:
    the farm's dashboard is two CIS levels deep (accounts, locations and bills; then the
    locations' outage status), whatever the number of accounts."""
    counting: CountingCis = gateway.services.adapter  # type: ignore[assignment]
    query = """{ viewer { accounts {
      number outageStatus { powerStatus } bills(first: 1) { nodes { id } } } } }"""
    result = await gateway.run(query, as_user=FARM_EMAIL)

    assert result.errors is None
    assert counting.calls == {
        "get_accounts": 1,
        "get_service_locations": 1,
        "get_outage_status": 1,
        "get_bills": 1,
    }
    [locations_keys] = counting.keys["get_service_locations"]
    assert sorted(locations_keys) == sorted(FARM_ACCOUNTS)


async def test_a_failed_read_fails_the_fields_that_needed_it_on_every_account(
    gateway: Gateway,
) -> None:
    counting: CountingCis = gateway.services.adapter  # type: ignore[assignment]
    counting.failing = {"get_outage_status"}
    query = """{ viewer { accounts {
      number serviceLocations { id } outageStatus { powerStatus } } } }"""
    result = await gateway.run(query, as_user=DEMO_EMAIL)

    assert codes(result) == {
        f"viewer.accounts.{index}.outageStatus": "CIS_UNAVAILABLE"
        for index in range(len(DEMO_ACCOUNTS))
    }
    assert result.data is not None
    for account in result.data["viewer"]["accounts"]:
        assert account["serviceLocations"]
        assert account["outageStatus"] is None


async def test_a_bad_page_argument_is_bad_user_input_on_each_account(gateway: Gateway) -> None:
    query = '{ viewer { account(number: "90000101") { number bills(first: 500) { totalCount } } } }'
    result = await gateway.run(query, as_user=DEMO_EMAIL)

    assert codes(result) == {"viewer.account.bills": "BAD_USER_INPUT"}
    assert result.data == {"viewer": {"account": {"number": "90000101", "bills": None}}}


async def test_an_account_reached_through_node_loads_its_fragment_fields(gateway: Gateway) -> None:
    query = """query($id: ID!) { node(id: $id) {
      ... on Node { id }
      ... on Account { number serviceLocations { id } bills(first: 1) { nodes { id } } }
    } }"""
    account_id = await _account_id(gateway, DEMO_ACCOUNTS[0])
    result = await gateway.run(query, as_user=DEMO_EMAIL, id=account_id)

    assert result.errors is None
    assert result.data is not None
    node = result.data["node"]
    assert node["number"] == DEMO_ACCOUNTS[0]
    assert node["serviceLocations"]
    assert len(node["bills"]["nodes"]) == 1


async def _account_id(gateway: Gateway, number: str) -> str:
    query = "query($n: String!) { viewer { account(number: $n) { id } } }"
    result = await gateway.run(query, as_user=DEMO_EMAIL, n=number)
    assert result.data is not None
    account_id: str = result.data["viewer"]["account"]["id"]
    return account_id
