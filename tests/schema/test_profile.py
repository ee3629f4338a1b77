"""The member profile: contact details read from and written to the CIS, and the login's
e-mail address changed only through a code mailed (over real SMTP) to the new address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.cis_soap.simulator.demo import (
    DEMO_ACCOUNTS,
    DEMO_CUSTOMER_ID,
    DEMO_EMAIL,
    FARM_ACCOUNTS,
    FARM_CUSTOMER_ID,
    FARM_EMAIL,
)
from adapters.records import Address, ContactUpdate, Customer
from gateway.auth.access_tokens import create_access_token
from gateway.auth.audit import AuditKind, Origin
from gateway.auth.bearer import authenticate
from gateway.auth.credentials import CredentialRefused
from gateway.auth.email_change import EMAIL_CHANGE_LIFETIME, confirm_email_change
from gateway.auth.login import LoginAttempt, login
from gateway.auth.users import create_user, normalize_email
from gateway.store.models import AuditEvent, Role, TokenScope, User
from tests.gateway.mailbox import Mailbox, saved, text_of
from tests.resolvers.counting import CountingCis

from .harness import LIFETIMES, OTHER_EMAIL, PASSWORD, Gateway, codes, make_services

NEW_EMAIL = "dana.rivera@example.net"
BOTH_EMAIL = "both@example.coop"  # a login with accounts of two CIS customers
TOKEN = r"cgr_[A-Za-z0-9_-]{43}"
ORIGIN = Origin("127.0.0.1", "schema-tests")

PROFILE_FIELDS = (
    "name email cisEmail homePhone dayPhone mailingAddress { line1 line2 city state postalCode }"
)
READ = f"{{ viewer {{ profile {{ {PROFILE_FIELDS} }} }} }}"
UPDATE = f"""mutation($input: ProfileInput!) {{
  updateProfile(input: $input) {{ {PROFILE_FIELDS} }}
}}"""
REQUEST = """mutation($password: String!, $email: String!) {
  requestEmailChange(currentPassword: $password, newEmail: $email)
}"""
CONFIRM = "mutation($code: String!) { confirmEmailChange(code: $code) }"
NEW_ADDRESS = {
    "line1": "PO Box 77",
    "line2": "c/o Rivera",
    "city": "Broken Bow",
    "state": "ne",
    "postalCode": "68822 4411",
}


@pytest.fixture
async def profiles(
    schema: strawberry.Schema,
    counting: CountingCis,
    users: async_sessionmaker[AsyncSession],
    mail: Mailbox,
) -> Gateway:
    """The app's schema over the counted simulator, mailing to the sink."""
    services = make_services(counting.as_adapter(), users, smtp=mail.smtp)
    await create_user(
        users,
        services.cooperative.id,
        BOTH_EMAIL,
        PASSWORD,
        Role.MEMBER,
        [FARM_ACCOUNTS[0], DEMO_ACCOUNTS[0]],
    )
    return Gateway(schema=schema, services=services, tokens={})


async def delivered(gateway: Gateway, mail: Mailbox) -> list[EmailMessage]:
    """Every message received once the outbox has sent everything (it sends in the
    background), oldest first."""
    await gateway.services.outbox.drain()
    return saved(mail.folder)


def as_profile(email: str, customer: Customer) -> dict[str, Any]:
    address = customer.billing_address
    return {
        "name": f"{customer.first_name} {customer.last_name}"
        if customer.first_name
        else customer.dba_name or customer.last_name,
        "email": email,
        "cisEmail": customer.email,
        "homePhone": customer.home_phone,
        "dayPhone": customer.day_phone,
        "mailingAddress": {
            "line1": address.line1,
            "line2": address.line2,
            "city": address.city,
            "state": address.state,
            "postalCode": address.postal_code,
        },
    }


async def cis_customer(simulated: SimulatedCis, customer_id: str) -> Customer:
    return (await simulated.get_customers([customer_id]))[customer_id]


async def audit_events(gateway: Gateway, kind: AuditKind) -> list[AuditEvent]:
    async with gateway.services.db() as session:
        found = await session.scalars(
            select(AuditEvent).where(AuditEvent.kind == kind.value).order_by(AuditEvent.id)
        )
        return list(found)


async def has_login(gateway: Gateway, email: str) -> bool:
    """Whether a login still has this e-mail address."""
    async with gateway.services.db() as session:
        user = await session.scalar(select(User).where(User.email == email))
    return user is not None


# Reading and updating contact details.


@pytest.mark.parametrize(
    ("email", "customer_id"), [(DEMO_EMAIL, DEMO_CUSTOMER_ID), (FARM_EMAIL, FARM_CUSTOMER_ID)]
)
async def test_the_profile_is_what_the_cis_holds(
    profiles: Gateway, simulated: SimulatedCis, email: str, customer_id: str
) -> None:
    result = await profiles.run(READ, as_user=email)

    assert result.errors is None
    assert result.data == {
        "viewer": {"profile": as_profile(email, await cis_customer(simulated, customer_id))}
    }


async def test_a_login_without_accounts_has_no_profile_to_read_or_change(
    profiles: Gateway, counting: CountingCis
) -> None:
    read = await profiles.run(READ, as_user=OTHER_EMAIL)
    update = await profiles.run(UPDATE, as_user=OTHER_EMAIL, input={"homePhone": "3085550100"})

    assert read.errors is None
    assert read.data == {"viewer": {"profile": None}}
    assert codes(update) == {"updateProfile": "NOT_FOUND"}
    assert counting.calls["update_contact_info"] == 0


async def test_an_update_answers_and_later_shows_what_the_cis_then_holds(
    profiles: Gateway, simulated: SimulatedCis, counting: CountingCis
) -> None:
    changes = {
        "homePhone": "(308) 555.0100",
        "dayPhone": "+1 308 555 0111",
        "mailingAddress": NEW_ADDRESS,
    }
    result = await profiles.run(UPDATE, as_user=DEMO_EMAIL, input=changes)

    assert result.errors is None
    customer = await cis_customer(simulated, DEMO_CUSTOMER_ID)
    assert customer.home_phone == "308-555-0100"
    assert customer.day_phone == "308-555-0111"
    assert customer.billing_address == Address(
        line1="PO Box 77",
        line2="c/o Rivera",
        city="Broken Bow",
        state="NE",
        postal_code="68822-4411",
    )
    assert customer.email == DEMO_EMAIL  # left out: unchanged
    assert result.data == {"updateProfile": as_profile(DEMO_EMAIL, customer)}
    assert counting.keys["update_contact_info"] == [
        [
            ContactUpdate(
                customer_id=DEMO_CUSTOMER_ID,
                home_phone="308-555-0100",
                day_phone="308-555-0111",
                billing_address=customer.billing_address,
            )
        ]
    ]
    fresh = await profiles.run(READ, as_user=DEMO_EMAIL)
    assert fresh.data == {"viewer": {"profile": as_profile(DEMO_EMAIL, customer)}}

    [event] = await audit_events(profiles, AuditKind.CONTACT_CHANGED)
    assert event.detail == f"homePhone, dayPhone, mailingAddress of customer {DEMO_CUSTOMER_ID}"
    assert "0100" not in (event.detail or "")


async def test_an_update_reaches_every_customer_of_the_login_in_one_call(
    profiles: Gateway, simulated: SimulatedCis, counting: CountingCis
) -> None:
    result = await profiles.run(
        UPDATE, as_user=BOTH_EMAIL, input={"cisEmail": " Both@Example.NET "}
    )

    assert result.errors is None
    assert counting.calls["update_contact_info"] == 1
    [updates] = counting.keys["update_contact_info"]
    assert [update.customer_id for update in updates] == [DEMO_CUSTOMER_ID, FARM_CUSTOMER_ID]
    for customer_id in (DEMO_CUSTOMER_ID, FARM_CUSTOMER_ID):
        assert (await cis_customer(simulated, customer_id)).email == "both@example.net"
    # The profile is the first account's customer's (accounts in number order).
    demo = await cis_customer(simulated, DEMO_CUSTOMER_ID)
    assert result.data == {"updateProfile": as_profile(BOTH_EMAIL, demo)}


@pytest.mark.parametrize(
    "changes",
    [
        {"homePhone": "555-0100"},
        {"dayPhone": "308-555-01000"},
        {"homePhone": "308-555-CALL"},
        {"cisEmail": "not-an-address"},
        {"mailingAddress": {**NEW_ADDRESS, "postalCode": "6882"}},
        {"mailingAddress": {**NEW_ADDRESS, "postalCode": "68822-44"}},
        {"mailingAddress": {**NEW_ADDRESS, "state": "Nebraska"}},
        {"mailingAddress": {**NEW_ADDRESS, "line1": "  "}},
        {},
    ],
)
async def test_bad_details_are_refused_before_anything_is_sent(
    profiles: Gateway, counting: CountingCis, changes: dict[str, Any]
) -> None:
    result = await profiles.run(UPDATE, as_user=DEMO_EMAIL, input=changes)

    assert codes(result) == {"updateProfile": "BAD_USER_INPUT"}
    assert counting.calls["update_contact_info"] == 0
    assert await audit_events(profiles, AuditKind.CONTACT_CHANGED) == []


async def test_a_cis_failure_is_cis_unavailable_and_not_audited(
    profiles: Gateway, counting: CountingCis
) -> None:
    counting.failing = {"update_contact_info"}
    result = await profiles.run(UPDATE, as_user=DEMO_EMAIL, input={"homePhone": "3085550100"})

    assert codes(result) == {"updateProfile": "CIS_UNAVAILABLE"}
    assert "is down" not in str(result.errors)
    assert await audit_events(profiles, AuditKind.CONTACT_CHANGED) == []


async def test_a_read_only_access_token_reads_but_does_not_change_or_manage_the_login(
    profiles: Gateway, counting: CountingCis
) -> None:
    principal = await authenticate(
        profiles.services.db,
        profiles.services.cooperative.id,
        await profiles.log_in(DEMO_EMAIL),
        lifetimes=LIFETIMES,
    )
    assert principal is not None
    async with profiles.services.db.begin() as session:
        created = await create_access_token(
            session, principal, "thermostat", TokenScope.READ_ONLY, None, datetime.now(UTC)
        )
    profiles.tokens["script"] = created.token

    read = await profiles.run(READ, as_user="script")
    update = await profiles.run(UPDATE, as_user="script", input={"homePhone": "3085550100"})
    change = await profiles.run(REQUEST, as_user="script", password=PASSWORD, email=NEW_EMAIL)

    assert read.errors is None
    assert codes(update) == {"updateProfile": "FORBIDDEN"}
    assert codes(change) == {"requestEmailChange": "FORBIDDEN"}
    assert counting.calls["update_contact_info"] == 0


# Changing the login's e-mail address.


async def requested_code(gateway: Gateway, mail: Mailbox, as_user: str, new_email: str) -> str:
    result = await gateway.run(REQUEST, as_user=as_user, password=PASSWORD, email=new_email)
    assert result.errors is None
    assert result.data == {"requestEmailChange": True}
    return await mail.code(normalize_email(new_email), TOKEN)


async def test_the_login_moves_to_a_new_address_once_it_proves_it_reads_its_mail(
    profiles: Gateway, mail: Mailbox, simulated: SimulatedCis
) -> None:
    code = await requested_code(profiles, mail, DEMO_EMAIL, "  Dana.Rivera@Example.NET ")
    [verify] = saved(mail.folder)
    assert (
        verify["Subject"] == "Custer Prairie Electric Cooperative: confirm your new e-mail address"
    )
    assert await has_login(profiles, DEMO_EMAIL)  # not yet

    confirmed = await profiles.run(CONFIRM, as_user=DEMO_EMAIL, code=f" {code} ")

    assert confirmed.errors is None
    assert confirmed.data == {"confirmEmailChange": NEW_EMAIL}
    [_, notice] = await delivered(profiles, mail)
    assert notice["To"] == DEMO_EMAIL
    assert "was changed" in notice["Subject"]
    assert NEW_EMAIL in text_of(notice)
    assert code not in text_of(notice)

    # The same session now reads the new login address; the CIS's address is its own.
    read = await profiles.run(READ, as_user=DEMO_EMAIL)
    customer = await cis_customer(simulated, DEMO_CUSTOMER_ID)
    assert read.data == {"viewer": {"profile": as_profile(NEW_EMAIL, customer)}}
    assert customer.email == DEMO_EMAIL
    services, now = profiles.services, datetime.now(UTC)
    assert await login(services, LoginAttempt(NEW_EMAIL, PASSWORD), ORIGIN, now) is not None
    assert await login(services, LoginAttempt(DEMO_EMAIL, PASSWORD), ORIGIN, now) is None

    again = await profiles.run(CONFIRM, as_user=DEMO_EMAIL, code=code)
    assert codes(again) == {"confirmEmailChange": "BAD_USER_INPUT"}
    assert again.errors is not None
    assert again.errors[0].message == "the code is wrong, used or expired"

    [event] = await audit_events(profiles, AuditKind.EMAIL_CHANGED)
    assert event.detail == f"previous address: {DEMO_EMAIL}"


async def test_a_wrong_password_sends_no_code(profiles: Gateway, mail: Mailbox) -> None:
    result = await profiles.run(REQUEST, as_user=DEMO_EMAIL, password="wrong", email=NEW_EMAIL)

    assert codes(result) == {"requestEmailChange": "BAD_USER_INPUT"}
    assert result.errors is not None
    assert result.errors[0].message.startswith("the current password is wrong")
    assert await delivered(profiles, mail) == []
    assert await audit_events(profiles, AuditKind.EMAIL_CHANGE_REQUESTED) == []


@pytest.mark.parametrize(
    "address", ["dana", "dana@example", "@example.net", "a b@example.net", DEMO_EMAIL]
)
async def test_an_address_that_will_not_do_is_refused(
    profiles: Gateway, mail: Mailbox, address: str
) -> None:
    result = await profiles.run(REQUEST, as_user=DEMO_EMAIL, password=PASSWORD, email=address)

    assert codes(result) == {"requestEmailChange": "BAD_USER_INPUT"}
    assert await delivered(profiles, mail) == []


async def test_an_address_with_a_login_answers_alike_but_gets_no_code(
    profiles: Gateway, mail: Mailbox
) -> None:
    result = await profiles.run(REQUEST, as_user=DEMO_EMAIL, password=PASSWORD, email=FARM_EMAIL)

    assert result.errors is None
    assert result.data == {"requestEmailChange": True}
    assert await delivered(profiles, mail) == []
    [event] = await audit_events(profiles, AuditKind.EMAIL_CHANGE_REQUESTED)
    assert event.detail == "refused: the new address already has a login"


async def test_another_members_code_is_refused_and_stays_theirs(
    profiles: Gateway, mail: Mailbox
) -> None:
    code = await requested_code(profiles, mail, DEMO_EMAIL, NEW_EMAIL)

    stolen = await profiles.run(CONFIRM, as_user=FARM_EMAIL, code=code)

    assert codes(stolen) == {"confirmEmailChange": "BAD_USER_INPUT"}
    assert await has_login(profiles, FARM_EMAIL)
    own = await profiles.run(CONFIRM, as_user=DEMO_EMAIL, code=code)
    assert own.data == {"confirmEmailChange": NEW_EMAIL}


async def test_a_newer_request_replaces_the_code_and_codes_expire(
    profiles: Gateway, mail: Mailbox
) -> None:
    first = await requested_code(profiles, mail, DEMO_EMAIL, NEW_EMAIL)
    second = await requested_code(profiles, mail, DEMO_EMAIL, NEW_EMAIL)

    replaced = await profiles.run(CONFIRM, as_user=DEMO_EMAIL, code=first)
    assert codes(replaced) == {"confirmEmailChange": "BAD_USER_INPUT"}

    principal = (await profiles.context(DEMO_EMAIL)).principal
    assert principal is not None
    late = datetime.now(UTC) + EMAIL_CHANGE_LIFETIME + timedelta(seconds=1)
    with pytest.raises(CredentialRefused, match="wrong, used or expired"):
        await confirm_email_change(profiles.services, principal, second, ORIGIN, late)
    assert await has_login(profiles, DEMO_EMAIL)


async def test_an_address_taken_meanwhile_is_refused(
    profiles: Gateway, mail: Mailbox, users: async_sessionmaker[AsyncSession]
) -> None:
    code = await requested_code(profiles, mail, DEMO_EMAIL, NEW_EMAIL)
    await create_user(users, profiles.services.cooperative.id, NEW_EMAIL, PASSWORD, Role.MEMBER)

    result = await profiles.run(CONFIRM, as_user=DEMO_EMAIL, code=code)

    assert codes(result) == {"confirmEmailChange": "BAD_USER_INPUT"}
    assert await has_login(profiles, DEMO_EMAIL)
    assert len(await delivered(profiles, mail)) == 1  # the code: no notice to DEMO_EMAIL
