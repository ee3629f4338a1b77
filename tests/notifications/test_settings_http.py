"""Notification settings over HTTP: contacts verified by a code sent to them, preferences for
the member's own accounts only, the digest, and every wrong input a BAD_USER_INPUT."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.cis_soap.simulator.demo import DEMO_EMAIL, FARM_ACCOUNTS
from tests.gateway.live_gateway import error_codes, graphql
from tests.gateway.mailbox import Mailbox
from tests.notifications.notifying import (
    ADD_CONTACT,
    BOTH_DATABASES,
    PHONE,
    PREFER,
    SET_DIGEST,
    VERIFY_CONTACT,
    add_sms_contact,
    prefer,
)
from tests.payments.paying import CABIN, HOME

SETTINGS = """{ viewer { notifications {
  digest contacts { channel address accountNumber verified }
  preferences { kind accountNumber email sms daysBefore thresholdKWh thresholdCost }
} } }"""
OTHER_ADDRESS = "dana.rivera@example.net"


@BOTH_DATABASES
async def test_contacts_are_verified_by_the_code_sent_to_them(
    http: httpx.AsyncClient, member: str, mail: Mailbox
) -> None:
    await add_sms_contact(http, member, mail)
    variables = {"channel": "EMAIL", "address": OTHER_ADDRESS, "account": CABIN}
    added = (await graphql(http, ADD_CONTACT, variables, token=member))["data"]
    contact = added["addNotificationContact"]
    code = await mail.code(OTHER_ADDRESS, r"\b(\d{6})\b")
    wrong = "000000" if code != "000000" else "111111"
    refused = await graphql(
        http, VERIFY_CONTACT, {"id": contact["id"], "code": wrong}, token=member
    )
    assert error_codes(refused) == ["BAD_USER_INPUT"]
    # Asking again at once sends no second code (phones are not flooded).
    again = await graphql(http, ADD_CONTACT, variables, token=member)
    assert error_codes(again) == ["BAD_USER_INPUT"]
    verified = await graphql(
        http, VERIFY_CONTACT, {"id": contact["id"], "code": code}, token=member
    )
    assert verified["data"]["verifyNotificationContact"]["verified"] is True
    # The same address for another account is verified already: no code is sent.
    variables["account"] = HOME
    other = (await graphql(http, ADD_CONTACT, variables, token=member))["data"]
    assert other["addNotificationContact"]["verified"] is True

    answer = await graphql(http, SETTINGS, token=member)
    assert answer["data"]["viewer"]["notifications"]["contacts"] == [
        {"channel": "SMS", "address": PHONE, "accountNumber": None, "verified": True},
        {"channel": "EMAIL", "address": OTHER_ADDRESS, "accountNumber": CABIN, "verified": True},
        {"channel": "EMAIL", "address": OTHER_ADDRESS, "accountNumber": HOME, "verified": True},
    ]
    remove = "mutation($id: Int!) { removeNotificationContact(id: $id) }"
    assert (await graphql(http, remove, {"id": contact["id"]}, token=member))["data"] == {
        "removeNotificationContact": True
    }
    assert (await graphql(http, remove, {"id": contact["id"]}, token=member))["data"] == {
        "removeNotificationContact": False
    }
    assert len(await mail.all_received(2)) == 2  # the two codes, nothing else


@BOTH_DATABASES
async def test_preferences_and_the_digest_are_the_members_own(
    http: httpx.AsyncClient, member: str
) -> None:
    assert await prefer(http, member, "DUE_SOON", days=5, sms=True) == {
        "kind": "DUE_SOON",
        "accountNumber": None,
        "email": True,
        "sms": True,
        "daysBefore": 5,
        "thresholdKWh": None,
        "thresholdCost": None,
    }
    await prefer(http, member, "USAGE_ALERT", account=HOME, kwh="42.5", cost="6.00")
    await prefer(http, member, "DUE_SOON", days=2)  # changes the row, adds none
    digest = await graphql(http, SET_DIGEST, {"on": True}, token=member)
    assert digest["data"] == {"setNotificationDigest": True}

    answer = await graphql(http, SETTINGS, token=member)
    settings = answer["data"]["viewer"]["notifications"]
    assert settings["digest"] is True
    assert [
        (row["kind"], row["accountNumber"], row["sms"], row["daysBefore"], row["thresholdKWh"])
        for row in settings["preferences"]
    ] == [("DUE_SOON", None, False, 2, None), ("USAGE_ALERT", HOME, False, None, "42.5")]
    assert settings["preferences"][1]["thresholdCost"] == "6.00"


async def test_wrong_settings_are_bad_user_input(http: httpx.AsyncClient, member: str) -> None:
    wrong: list[tuple[str, dict[str, Any]]] = [
        (PREFER, {"kind": "BILL_READY", "email": True, "sms": False, "days": 3}),
        (PREFER, {"kind": "DUE_SOON", "email": True, "sms": False, "days": 21}),
        (PREFER, {"kind": "USAGE_ALERT", "email": True, "sms": False}),
        (PREFER, {"kind": "USAGE_ALERT", "email": True, "sms": False, "kwh": "-1"}),
        (PREFER, {"kind": "USAGE_ALERT", "email": True, "sms": False, "kwh": "1.0001"}),
        (PREFER, {"kind": "PAST_DUE", "email": True, "sms": False, "cost": "5.00"}),
        (ADD_CONTACT, {"channel": "SMS", "address": "555-1234"}),
        (ADD_CONTACT, {"channel": "SMS", "address": "call-me@vtext.com"}),
        (ADD_CONTACT, {"channel": "EMAIL", "address": "not an address"}),
        (VERIFY_CONTACT, {"id": 999, "code": "123456"}),
    ]
    for query, variables in wrong:
        answer = await graphql(http, query, variables, token=member)
        assert error_codes(answer) == ["BAD_USER_INPUT"], (variables, answer)
    # Another member's account is not the member's to choose for: as if there were none.
    farm = FARM_ACCOUNTS[0]
    for query, variables in (
        (PREFER, {"kind": "BILL_READY", "account": farm, "email": True, "sms": False}),
        (ADD_CONTACT, {"channel": "EMAIL", "address": DEMO_EMAIL, "account": farm}),
    ):
        answer = await graphql(http, query, variables, token=member)
        assert error_codes(answer) == ["NOT_FOUND"], (variables, answer)
    assert error_codes(await graphql(http, SETTINGS)) == ["UNAUTHENTICATED"]
