"""First pages of the default period are read from a recent window, and equal full-period pages."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from adapters.cis_soap.simulator.demo import DEMO_CABIN_ACCOUNT, DEMO_EMAIL, DEMO_HOME_ACCOUNT
from adapters.records import DateRange
from resolvers.periods import years_before
from tests.resolvers.counting import CountingCis

from .harness import Gateway

PAGE = """query($n: String!, $first: Int, $after: String) { viewer { account(number: $n) {
  %s(first: $first, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    %s } } } }"""
COUNTED = "...Counted"  # the totalCount, asked through a fragment, makes the field read it all
FRAGMENT = "fragment Counted on %sConnection { totalCount }"


def local_today(gateway: Gateway) -> date:
    return datetime.now(gateway.services.cooperative.time_zone).date()


async def page(
    gateway: Gateway, field: str, number: str, *, counted: bool = False, **variables: Any
) -> tuple[dict[str, Any], list[DateRange]]:
    """The connection's page without its totalCount, and the periods of the CIS calls made."""
    counting: CountingCis = gateway.services.adapter  # type: ignore[assignment]
    counting.parameters.clear()
    query = PAGE % (field, COUNTED if counted else "")
    if counted:
        query += FRAGMENT % ("Bill" if field == "bills" else "Payment")
    context = await gateway.context(DEMO_EMAIL)
    result = await gateway.schema.execute(
        query, variable_values={"n": number, **variables}, context_value=context
    )
    assert result.errors is None
    assert result.data is not None
    connection: dict[str, Any] = result.data["viewer"]["account"][field]
    connection.pop("totalCount", None)
    return connection, [call["period"] for call in counting.parameters.get(f"get_{field}", [])]


def default_period(gateway: Gateway) -> DateRange:
    today = local_today(gateway)
    return DateRange(years_before(today, 2) + timedelta(days=1), today)


def recent(gateway: Gateway, days: int) -> DateRange:
    today = local_today(gateway)
    return DateRange(today - timedelta(days=days - 1), today)


@pytest.mark.parametrize(("first", "days"), [(1, 90), (3, 180), (None, 585), (0, 90)])
async def test_a_first_page_reads_a_recent_window_and_equals_the_full_period_page(
    gateway: Gateway, first: int | None, days: int
) -> None:
    windowed, periods = await page(gateway, "bills", DEMO_HOME_ACCOUNT, first=first)
    assert periods == [recent(gateway, days)]
    assert windowed["pageInfo"]["hasNextPage"] is True

    full, periods = await page(gateway, "bills", DEMO_HOME_ACCOUNT, counted=True, first=first)
    assert periods == [default_period(gateway)]
    assert windowed == full


async def test_a_page_longer_than_the_window_reads_the_full_period_at_once(
    gateway: Gateway,
) -> None:
    windowed, periods = await page(gateway, "bills", DEMO_HOME_ACCOUNT, first=100)
    assert periods == [default_period(gateway)]
    full, _ = await page(gateway, "bills", DEMO_HOME_ACCOUNT, counted=True, first=100)
    assert windowed == full
    assert windowed["pageInfo"]["hasNextPage"] is False


async def test_too_few_recent_rows_fall_back_to_the_full_period(gateway: Gateway) -> None:
    # The past-due cabin paid only 3 times in the last 180 days.
    windowed, periods = await page(gateway, "payments", DEMO_CABIN_ACCOUNT, first=3)
    assert periods == [recent(gateway, 180), default_period(gateway)]
    full, _ = await page(gateway, "payments", DEMO_CABIN_ACCOUNT, counted=True, first=3)
    assert windowed == full
    assert len(windowed["edges"]) == 3
    assert windowed["pageInfo"]["hasNextPage"] is True


async def test_a_recent_page_s_cursor_continues_in_the_full_period(gateway: Gateway) -> None:
    first_page, _ = await page(gateway, "payments", DEMO_HOME_ACCOUNT, first=3)
    after = first_page["pageInfo"]["endCursor"]
    second, periods = await page(gateway, "payments", DEMO_HOME_ACCOUNT, first=3, after=after)
    assert periods == [default_period(gateway)]
    whole, _ = await page(gateway, "payments", DEMO_HOME_ACCOUNT, counted=True, first=6)
    assert first_page["edges"] + second["edges"] == whole["edges"]
    assert second["pageInfo"]["hasPreviousPage"] is True


async def test_an_explicit_from_reads_its_own_period(gateway: Gateway) -> None:
    start = local_today(gateway) - timedelta(days=400)
    query_period = DateRange(start, local_today(gateway))
    counting: CountingCis = gateway.services.adapter  # type: ignore[assignment]
    result = await gateway.run(
        "query($n: String!, $from: Date) { viewer { account(number: $n) {"
        " bills(first: 1, from: $from) { nodes { id } } } } }",
        as_user=DEMO_EMAIL,
        n=DEMO_HOME_ACCOUNT,
        **{"from": start.isoformat()},
    )
    assert result.errors is None
    assert [call["period"] for call in counting.parameters["get_bills"]] == [query_period]
