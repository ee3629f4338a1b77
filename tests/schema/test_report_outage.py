"""reportOutage: a member's trouble call reaches the CIS once per report, joins the outage
open at the service (never a second one), and bad input is refused before the CIS hears of it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import (
    DEMO_CABIN_ACCOUNT,
    DEMO_CABIN_LOCATION,
    DEMO_EMAIL,
    DEMO_SHOP_ACCOUNT,
    FARM_ACCOUNTS,
)
from adapters.records import AccountStatus, OutageReportKind
from gateway.auth.access_tokens import create_access_token
from gateway.auth.bearer import authenticate
from gateway.auth.users import create_user
from gateway.store.models import Role, TokenScope
from tests.gateway.databases import SQLITE_ONLY
from tests.resolvers.counting import CountingCis

from .harness import LIFETIMES, PASSWORD, Gateway, codes

REPORT = """mutation Report($account: String!, $kind: OutageReportKind!, $location: String,
                 $note: String, $phone: String) {
  reportOutage(accountNumber: $account, kind: $kind, serviceLocationId: $location,
               note: $note, callbackPhone: $phone) {
    reportId serviceLocationId status estimatedRestoration
    outage { eventId status customersAffected startedAt }
  }
}"""
SHOP_LOCATION = f"SL{DEMO_SHOP_ACCOUNT}-1"
CLOSED_EMAIL = "closed@example.coop"


pytestmark = SQLITE_ONLY  # nothing here is about the database


async def report(gateway: Gateway, as_user: str = DEMO_EMAIL, **variables: Any) -> Any:
    arguments = {"account": DEMO_SHOP_ACCOUNT, "kind": "NO_POWER", **variables}
    return await gateway.run(REPORT, as_user=as_user, **arguments)


async def test_a_report_opens_an_outage_and_a_second_report_joins_it(
    gateway: Gateway, counting: CountingCis
) -> None:
    first = await report(gateway, note="  Lights out\n since 6 pm ", phone="(308) 555-0142")
    second = await report(gateway, kind="LINE_DOWN", location=SHOP_LOCATION)

    assert first.errors is None, first.errors
    assert second.errors is None, second.errors
    opened, joined = first.data["reportOutage"], second.data["reportOutage"]
    assert opened["serviceLocationId"] == SHOP_LOCATION
    assert opened["status"] == "ASSUMED"
    assert opened["outage"]["status"] == "ASSUMED"
    assert opened["outage"]["customersAffected"] == 1
    assert joined["outage"] == opened["outage"]
    assert joined["reportId"] != opened["reportId"]
    sent = [reports[0] for reports in counting.keys["submit_outage_reports"]]
    assert [r.kind for r in sent] == [OutageReportKind.NO_POWER, OutageReportKind.LINE_DOWN]
    assert sent[0].note == "Lights out since 6 pm"
    assert sent[0].callback_phone == "308-555-0142"
    assert (sent[1].note, sent[1].callback_phone) == (None, None)
    assert all(r.reported_at.tzinfo is not None for r in sent)


async def test_a_report_at_a_service_in_an_outage_joins_that_outage(
    gateway: Gateway, simulated: SimulatedCis
) -> None:
    known = (await simulated.get_outage_status([DEMO_CABIN_LOCATION]))[DEMO_CABIN_LOCATION]

    result = await report(gateway, account=DEMO_CABIN_ACCOUNT, kind="FLICKERING")

    assert result.errors is None, result.errors
    receipt = result.data["reportOutage"]
    assert receipt["outage"]["eventId"] == known.outage_event_id
    assert receipt["status"] == receipt["outage"]["status"] == "CONFIRMED"
    assert receipt["estimatedRestoration"] is not None


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"account": FARM_ACCOUNTS[0]}, "no account"),  # another member's
        ({"account": "99999999"}, "no account"),
        ({"location": f"SL{FARM_ACCOUNTS[0]}-1"}, "no service location"),
        ({"note": "x" * 501}, "at most 500"),
        ({"note": "bell\x07"}, "plain text"),
        ({"phone": "555-0142"}, "10 digits"),
        ({"kind": "SPARKS"}, "SPARKS"),
    ],
)
async def test_bad_input_is_refused_before_the_cis_hears_of_it(
    gateway: Gateway, counting: CountingCis, variables: dict[str, Any], message: str
) -> None:
    result = await report(gateway, **variables)

    assert list(codes(result).values()) == ["BAD_USER_INPUT"]
    assert message in result.errors[0].message
    assert counting.calls["submit_outage_reports"] == 0


async def test_a_closed_account_cannot_report(
    gateway: Gateway, simulated: SimulatedCis, counting: CountingCis
) -> None:
    accounts = await simulated.get_accounts(simulated.account_numbers)
    closed = next(n for n, a in accounts.items() if a.account_status is AccountStatus.CLOSED)
    db, coop = gateway.services.db, gateway.services.cooperative.id
    await create_user(db, coop, CLOSED_EMAIL, PASSWORD, Role.MEMBER, [closed])

    result = await report(gateway, as_user=CLOSED_EMAIL, account=closed)

    assert codes(result) == {"reportOutage": "BAD_USER_INPUT"}
    assert "closed" in result.errors[0].message
    assert counting.calls["submit_outage_reports"] == 0


async def test_reporting_needs_a_login_that_may_write(
    gateway: Gateway, counting: CountingCis
) -> None:
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
    gateway.tokens["read-only"] = created.token

    anonymous = await gateway.run(REPORT, account=DEMO_SHOP_ACCOUNT, kind="NO_POWER")
    read_only = await report(gateway, as_user="read-only")

    assert codes(anonymous) == {"reportOutage": "UNAUTHENTICATED"}
    assert codes(read_only) == {"reportOutage": "FORBIDDEN"}
    assert counting.calls["submit_outage_reports"] == 0


async def test_a_cis_failure_is_cis_unavailable(gateway: Gateway, counting: CountingCis) -> None:
    counting.failing = {"submit_outage_reports"}

    result = await report(gateway)

    assert codes(result) == {"reportOutage": "CIS_UNAVAILABLE"}
    assert "is down" not in result.errors[0].message
