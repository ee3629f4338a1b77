"""Member identity end to end: the real gateway over HTTP, the CIS simulator, a real SMTP
server, SQLite and PostgreSQL. Temporary passwords and reset codes are read out of the
e-mails the gateway sent."""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.cis_soap.adapter import SoapCisAdapter
from adapters.cis_soap.simulator.demo import DEMO_EMAIL, DEMO_SHOP_ACCOUNT, FARM_ACCOUNTS
from gateway.app import create_app
from gateway.auth import totp
from gateway.auth.users import create_user
from gateway.settings import Settings
from gateway.store.models import AuditEvent, OneTimeToken, Role, User, utc_now
from tests.cis_soap.local_server import serving
from tests.gateway.live_gateway import error_codes, graphql, log_in
from tests.gateway.mailbox import Mailbox
from tests.schema.harness import PASSWORD, STAFF_EMAIL
from tests.simulator_process import RunningSimulator

NEW_EMAIL = "new.member@example.net"
NEW_PASSWORD = "prairie wind turbine 42"
TEMPORARY = r"temporary password is:\s+([2-9a-zA-Z]{16})\s"
RESET_CODE = r"cgr_[\w-]{43}"
REGISTER = """mutation($account: AccountProofInput!, $email: String!) {
  register(account: $account, email: $email)
}"""
LOGIN = """mutation($email: String!, $password: String!, $code: String) {
  login(email: $email, password: $password, oneTimeCode: $code) {
    token mustChangePassword viewer { email }
  }
}"""
CHANGE = """mutation($current: String!, $new: String!) {
  changePassword(currentPassword: $current, newPassword: $new)
}"""
VIEWER = "{ viewer { email accounts { number } } }"
ASK_RESET = "mutation($email: String!) { requestPasswordReset(email: $email) }"


@pytest.fixture
async def http(
    database_url: str, engine: AsyncEngine, coop_files: tuple[Path, ...], mail: Mailbox
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url, cooperatives=coop_files, smtp=mail.smtp, attempts_per_minute=100
    )
    with serving(create_app(settings), lifespan="on") as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield client


@pytest.fixture
async def shop(simulator: RunningSimulator) -> dict[str, str]:
    """The proof of the demo shop account, read from the simulator."""
    adapter = SoapCisAdapter.create(simulator.adapter_settings())
    try:
        account = (await adapter.get_accounts([DEMO_SHOP_ACCOUNT]))[DEMO_SHOP_ACCOUNT]
        customer = (await adapter.get_customers([account.customer_id]))[account.customer_id]
        locations = (await adapter.get_service_locations([DEMO_SHOP_ACCOUNT]))[DEMO_SHOP_ACCOUNT]
    finally:
        await adapter.aclose()
    return {
        "accountNumber": DEMO_SHOP_ACCOUNT,
        "holderName": f"  {customer.last_name.upper()} ",
        "postalCode": locations[0].service_address.postal_code,
    }


async def sign_up(http: httpx.AsyncClient, mail: Mailbox, proof: dict[str, str]) -> str:
    """Registers NEW_EMAIL; the temporary password from the welcome e-mail."""
    answer = await graphql(http, REGISTER, {"account": proof, "email": NEW_EMAIL})
    assert "errors" not in answer, answer
    return await mail.code(NEW_EMAIL, TEMPORARY)


async def login_answer(
    http: httpx.AsyncClient, email: str, password: str, code: str | None = None
) -> dict[str, Any]:
    return await graphql(http, LOGIN, {"email": email, "password": password, "code": code})


async def audit_kinds(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return list(await session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


async def test_sign_up_to_a_changed_password(
    http: httpx.AsyncClient,
    mail: Mailbox,
    shop: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    temporary = await sign_up(http, mail, shop)

    first, second = await asyncio.gather(
        login_answer(http, NEW_EMAIL, temporary), login_answer(http, NEW_EMAIL, temporary)
    )
    # The temporary password logs in once, even for two logins at the same moment.
    assert sorted([error_codes(first), error_codes(second)]) == [[], ["UNAUTHENTICATED"]]
    first = (first if "errors" not in first else second)["data"]["login"]
    assert (first["mustChangePassword"], first["viewer"]) == (True, None)
    token = first["token"]
    viewer = await graphql(http, VIEWER, token=token)
    assert error_codes(viewer) == ["FORBIDDEN"]
    assert "change the temporary password" in viewer["errors"][0]["message"]

    weak = await graphql(http, CHANGE, {"current": temporary, "new": "Password1234!"}, token=token)
    assert error_codes(weak) == ["BAD_USER_INPUT"]
    changed = await graphql(http, CHANGE, {"current": temporary, "new": NEW_PASSWORD}, token=token)
    assert changed == {"data": {"changePassword": True}}
    assert "password was changed" in (await mail.next_message(NEW_EMAIL))["Subject"]

    assert (await graphql(http, VIEWER, token=token))["data"] == {
        "viewer": {"email": NEW_EMAIL, "accounts": [{"number": DEMO_SHOP_ACCOUNT}]}
    }
    assert (await login_answer(http, NEW_EMAIL, NEW_PASSWORD))["data"]["login"]["viewer"]
    kinds = await audit_kinds(sessions)
    assert kinds[0] == "REGISTERED"
    assert sorted(kinds[1:3]) == ["LOGIN", "LOGIN_FAILED"]
    assert kinds[3] == "PASSWORD_CHANGED"


async def test_a_temporary_password_session_reaches_nothing_else(
    http: httpx.AsyncClient, mail: Mailbox, shop: dict[str, str]
) -> None:
    temporary = await sign_up(http, mail, shop)
    token = (await login_answer(http, NEW_EMAIL, temporary))["data"]["login"]["token"]
    account_id = "QWNjb3VudDo5MDAwMDEwMg=="  # Account:90000102, the login's own account
    for operation in (
        f'{{ node(id: "{account_id}") {{ id }} }}',
        "{ outages { id } }",
        "{ viewer { security { twoFactorEnabled } } }",
        'mutation { createAccessToken(name: "script") { token } }',
        'mutation { updateProfile(input: {homePhone: "308-555-0100"}) { homePhone } }',
        "mutation { revokeOtherSessions }",
    ):
        answer = await graphql(http, operation, token=token)
        assert error_codes(answer) == ["FORBIDDEN"], operation
        assert "temporary password" in answer["errors"][0]["message"]
    assert (await graphql(http, "mutation { logout }", token=token))["data"] == {"logout": True}


@pytest.mark.parametrize("wrong", ["accountNumber", "holderName", "postalCode"])
async def test_wrong_details_answer_the_same_and_send_nothing(
    http: httpx.AsyncClient,
    mail: Mailbox,
    shop: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
    wrong: str,
) -> None:
    right = await graphql(http, REGISTER, {"account": shop, "email": NEW_EMAIL})
    await mail.next_message(NEW_EMAIL)
    bad = {**shop, wrong: {"accountNumber": "99999999", "holderName": "Smith"}.get(wrong, "10001")}
    refused = await graphql(http, REGISTER, {"account": bad, "email": "someone@example.net"})
    assert refused == right  # same answer
    await asyncio.sleep(0.3)  # time for a message sent by mistake to arrive
    assert mail.received() == 1
    assert (await audit_kinds(sessions))[-1] == "REGISTRATION_REFUSED"


async def test_an_expired_temporary_password_is_refused(
    http: httpx.AsyncClient,
    mail: Mailbox,
    shop: dict[str, str],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    temporary = await sign_up(http, mail, shop)
    async with sessions.begin() as session:
        await session.execute(
            update(User)
            .where(User.email == NEW_EMAIL)
            .values(temporary_password_expires_at=utc_now() - timedelta(seconds=1))
        )
    assert error_codes(await login_answer(http, NEW_EMAIL, temporary)) == ["UNAUTHENTICATED"]


async def test_five_failures_lock_the_login_and_tell_its_member(
    http: httpx.AsyncClient,
    mail: Mailbox,
    demo_users: None,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for _ in range(5):
        assert error_codes(await login_answer(http, DEMO_EMAIL, "wrong-password")) == [
            "UNAUTHENTICATED"
        ]
    locked = await login_answer(http, DEMO_EMAIL, PASSWORD)  # the right password, too late
    assert error_codes(locked) == ["UNAUTHENTICATED"]
    assert "locked" in (await mail.next_message(DEMO_EMAIL))["Subject"]
    assert "LOCKED_OUT" in await audit_kinds(sessions)

    async with sessions.begin() as session:  # fifteen minutes later
        await session.execute(
            update(User).where(User.email == DEMO_EMAIL).values(locked_until=utc_now())
        )
    assert "errors" not in await login_answer(http, DEMO_EMAIL, PASSWORD)


async def test_reset_with_the_emailed_code_and_the_pass_phrase(
    http: httpx.AsyncClient, mail: Mailbox, demo_users: None
) -> None:
    token = await log_in(http, DEMO_EMAIL, PASSWORD)
    phrase = (
        """mutation { setPassPhrase(currentPassword: "%s", passPhrase: "Blue  Heron Creek") }"""
    )
    assert "errors" not in await graphql(http, phrase % PASSWORD, token=token)

    asked = await graphql(http, f'mutation {{ requestPasswordReset(email: "{DEMO_EMAIL}") }}')
    unknown = await graphql(http, 'mutation { requestPasswordReset(email: "no@example.net") }')
    assert asked == unknown
    code = await mail.code(DEMO_EMAIL, RESET_CODE)

    reset = f"""mutation($code: String!, $phrase: String) {{
      resetPassword(code: $code, passPhrase: $phrase, newPassword: "{NEW_PASSWORD}")
    }}"""
    wrong_phrase = await graphql(http, reset, {"code": code, "phrase": "green heron creek"})
    assert error_codes(wrong_phrase) == ["BAD_USER_INPUT"]
    # One guess per code: the right phrase with the same code is refused now.
    burnt = await graphql(http, reset, {"code": code, "phrase": "blue heron creek"})
    assert error_codes(burnt) == ["BAD_USER_INPUT"]

    await graphql(http, ASK_RESET, {"email": DEMO_EMAIL})
    code = await mail.code(DEMO_EMAIL, RESET_CODE)
    no_phrase = await graphql(http, reset, {"code": code, "phrase": None})
    assert error_codes(no_phrase) == ["BAD_USER_INPUT"]
    await graphql(http, ASK_RESET, {"email": DEMO_EMAIL})
    code = await mail.code(DEMO_EMAIL, RESET_CODE)
    assert "errors" not in await graphql(http, reset, {"code": code, "phrase": "blue heron creek"})
    assert "password was changed" in (await mail.next_message(DEMO_EMAIL))["Subject"]

    reused = await graphql(http, reset, {"code": code, "phrase": "blue heron creek"})
    assert error_codes(reused) == ["BAD_USER_INPUT"]
    assert error_codes(await graphql(http, VIEWER, token=token)) == ["UNAUTHENTICATED"]
    assert error_codes(await login_answer(http, DEMO_EMAIL, PASSWORD)) == ["UNAUTHENTICATED"]
    assert "errors" not in await login_answer(http, DEMO_EMAIL, NEW_PASSWORD)


async def test_a_read_only_access_token_reads_and_cannot_write(
    http: httpx.AsyncClient, demo_users: None
) -> None:
    session = await log_in(http, DEMO_EMAIL, PASSWORD)
    created = await graphql(
        http,
        'mutation { createAccessToken(name: "home assistant") { token accessToken { id scope } } }',
        token=session,
    )
    token = created["data"]["createAccessToken"]["token"]
    assert created["data"]["createAccessToken"]["accessToken"]["scope"] == "READ_ONLY"
    assert token.startswith("cgp_")
    assert (await graphql(http, "{ viewer { email } }", token=token))["data"] == {
        "viewer": {"email": DEMO_EMAIL}
    }
    for mutation in (
        f'mutation {{ unlinkAccount(accountNumber: "{DEMO_SHOP_ACCOUNT}") {{ email }} }}',
        'mutation { createAccessToken(name: "another") { token } }',
        f'mutation {{ changePassword(currentPassword: "{PASSWORD}", newPassword: "x") }}',
        "mutation { revokeOtherSessions }",
    ):
        assert error_codes(await graphql(http, mutation, token=token)) == ["FORBIDDEN"], mutation

    token_id = created["data"]["createAccessToken"]["accessToken"]["id"]
    revoke = f"mutation {{ revokeAccessToken(id: {token_id}) }}"
    assert (await graphql(http, revoke, token=session))["data"] == {"revokeAccessToken": True}
    assert error_codes(await graphql(http, VIEWER, token=token)) == ["UNAUTHENTICATED"]


async def test_a_read_write_access_token_cannot_manage_credentials(
    http: httpx.AsyncClient, demo_users: None
) -> None:
    session = await log_in(http, DEMO_EMAIL, PASSWORD)
    create = 'mutation { createAccessToken(name: "rw", scope: READ_WRITE) { token } }'
    token = (await graphql(http, create, token=session))["data"]["createAccessToken"]["token"]
    phone = await graphql(
        http,
        'mutation { updateProfile(input: {dayPhone: "308-555-0199"}) { dayPhone } }',
        token=token,
    )
    assert phone["data"] == {"updateProfile": {"dayPhone": "308-555-0199"}}  # what RW is for
    for mutation in (
        'mutation { createAccessToken(name: "more") { token } }',
        f'mutation {{ changePassword(currentPassword: "{PASSWORD}", newPassword: "x") }}',
        "mutation { revokeOtherSessions }",
        f'mutation {{ beginTwoFactor(currentPassword: "{PASSWORD}") {{ secret }} }}',
        f'mutation {{ requestEmailChange(currentPassword: "{PASSWORD}", newEmail: "x@a.net") }}',
        f'mutation {{ unlinkAccount(accountNumber: "{DEMO_SHOP_ACCOUNT}") {{ email }} }}',
    ):
        assert error_codes(await graphql(http, mutation, token=token)) == ["FORBIDDEN"], mutation


async def test_staff_on_a_temporary_password_cannot_introspect(
    http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_user(
        sessions,
        "custer-prairie",
        "new.staff@example.coop",
        PASSWORD,
        Role.STAFF,
        must_change_password=True,
        temporary_password_expires_at=utc_now() + timedelta(hours=1),
    )
    token = (await login_answer(http, "new.staff@example.coop", PASSWORD))["data"]["login"]["token"]
    introspect = await graphql(http, "{ __schema { queryType { name } } }", token=token)
    assert error_codes(introspect) == ["FORBIDDEN"]


async def test_staff_logins_get_no_access_tokens(http: httpx.AsyncClient, demo_users: None) -> None:
    session = await log_in(http, STAFF_EMAIL, PASSWORD)
    create = 'mutation { createAccessToken(name: "export") { token } }'
    assert error_codes(await graphql(http, create, token=session)) == ["FORBIDDEN"]


async def test_wrong_current_passwords_count_toward_the_lockout(
    http: httpx.AsyncClient, mail: Mailbox, demo_users: None
) -> None:
    token = await log_in(http, DEMO_EMAIL, PASSWORD)
    guess = 'mutation { setPassPhrase(currentPassword: "guess-%d", passPhrase: "long enough") }'
    for attempt in range(5):
        assert error_codes(await graphql(http, guess % attempt, token=token)) == ["BAD_USER_INPUT"]
    assert "locked" in (await mail.next_message(DEMO_EMAIL))["Subject"]
    right = (
        f'mutation {{ setPassPhrase(currentPassword: "{PASSWORD}", passPhrase: "long enough") }}'
    )
    assert error_codes(await graphql(http, right, token=token)) == ["BAD_USER_INPUT"]
    assert error_codes(await login_answer(http, DEMO_EMAIL, PASSWORD)) == ["UNAUTHENTICATED"]


async def test_an_overlong_account_number_is_bad_input(
    http: httpx.AsyncClient, demo_users: None, shop: dict[str, str]
) -> None:
    long_number = "9" * 40
    answer = await graphql(
        http, REGISTER, {"account": {**shop, "accountNumber": long_number}, "email": NEW_EMAIL}
    )
    assert error_codes(answer) == ["BAD_USER_INPUT"]
    staff = await log_in(http, STAFF_EMAIL, PASSWORD)
    lookup = await graphql(
        http, f'{{ account(number: "{long_number}") {{ number }} }}', token=staff
    )
    assert error_codes(lookup) == ["NOT_FOUND"]


async def test_two_factor_login_with_a_code_once_and_a_recovery_code_once(
    http: httpx.AsyncClient, demo_users: None
) -> None:
    session = await log_in(http, DEMO_EMAIL, PASSWORD)
    begin = 'mutation { beginTwoFactor(currentPassword: "%s") { secret provisioningUri } }'
    enrolment = (await graphql(http, begin % PASSWORD, token=session))["data"]["beginTwoFactor"]
    assert enrolment["provisioningUri"].startswith("otpauth://totp/")
    secret = enrolment["secret"]
    now = utc_now()
    first_code = totp.code_at(secret, now - timedelta(seconds=30))
    confirm = f'mutation {{ confirmTwoFactor(code: "{first_code}") }}'
    recovery_codes = (await graphql(http, confirm, token=session))["data"]["confirmTwoFactor"]
    assert len(recovery_codes) == 10

    assert error_codes(await login_answer(http, DEMO_EMAIL, PASSWORD)) == ["TWO_FACTOR_REQUIRED"]
    wrong = await login_answer(http, DEMO_EMAIL, "wrong-password")
    assert error_codes(wrong) == ["UNAUTHENTICATED"]  # no hint without the password
    code = totp.code_at(secret, now)
    assert "errors" not in await login_answer(http, DEMO_EMAIL, PASSWORD, code)
    assert error_codes(await login_answer(http, DEMO_EMAIL, PASSWORD, code)) == ["UNAUTHENTICATED"]
    recovery = recovery_codes[0].upper().replace("-", " ")
    assert "errors" not in await login_answer(http, DEMO_EMAIL, PASSWORD, recovery)
    assert error_codes(await login_answer(http, DEMO_EMAIL, PASSWORD, recovery)) == [
        "UNAUTHENTICATED"
    ]


async def test_sessions_are_listed_and_revoked(http: httpx.AsyncClient, demo_users: None) -> None:
    phone = await log_in(http, DEMO_EMAIL, PASSWORD, headers={"User-Agent": "CoopApp/2 (iOS)"})
    browser = await log_in(http, DEMO_EMAIL, PASSWORD)
    listed = await graphql(
        http, "{ viewer { security { sessions { id userAgent current } } } }", token=browser
    )
    found = listed["data"]["viewer"]["security"]["sessions"]
    assert [entry["current"] for entry in found].count(True) == 1
    assert "CoopApp/2 (iOS)" in [entry["userAgent"] for entry in found]
    other = next(entry["id"] for entry in found if not entry["current"])
    revoke = f"mutation {{ revokeSession(id: {other}) }}"
    assert (await graphql(http, revoke, token=browser))["data"] == {"revokeSession": True}
    assert error_codes(await graphql(http, VIEWER, token=phone)) == ["UNAUTHENTICATED"]
    assert "errors" not in await graphql(http, "mutation { logout }", token=browser)
    assert error_codes(await graphql(http, VIEWER, token=browser)) == ["UNAUTHENTICATED"]


async def test_linking_takes_the_same_proof_and_another_members_account_is_refused(
    http: httpx.AsyncClient, demo_users: None, shop: dict[str, str]
) -> None:
    token = await log_in(http, "other@example.coop", PASSWORD)
    link = """mutation($account: AccountProofInput!) {
      linkAccount(account: $account) { accounts { number } }
    }"""
    farm = {**shop, "accountNumber": FARM_ACCOUNTS[0]}  # the shop holder's name and ZIP
    assert error_codes(await graphql(http, link, {"account": farm}, token=token)) == [
        "BAD_USER_INPUT"
    ]
    linked = await graphql(http, link, {"account": shop}, token=token)
    assert linked["data"]["linkAccount"]["accounts"] == [{"number": DEMO_SHOP_ACCOUNT}]
    unlink = f'mutation {{ unlinkAccount(accountNumber: "{FARM_ACCOUNTS[0]}") {{ email }} }}'
    assert error_codes(await graphql(http, unlink, token=token)) == ["BAD_USER_INPUT"]


async def test_known_and_unknown_addresses_take_the_same_order_of_time(
    http: httpx.AsyncClient, demo_users: None
) -> None:
    async def median_seconds(query: str) -> float:
        took = []
        for _ in range(5):
            started = time.perf_counter()
            await graphql(http, query)
            took.append(time.perf_counter() - started)
            # The gateway's e-mail to a known address (sent to this test's own loop) is
            # left to finish before the next request is timed.
            await asyncio.sleep(0.2)
        return statistics.median(took)

    login = 'mutation { login(email: "%s", password: "not-it") { token } }'
    reset = 'mutation { requestPasswordReset(email: "%s") }'
    for query in (login, reset):
        known = await median_seconds(query % "other@example.coop")
        unknown = await median_seconds(query % "nobody@example.net")
        assert 1 / 3 < known / unknown < 3, (query, known, unknown)


async def test_sign_up_takes_the_same_order_of_time_for_known_and_unknown_accounts(
    http: httpx.AsyncClient, mail: Mailbox, shop: dict[str, str]
) -> None:
    async def seconds(proof: dict[str, str], email: str) -> float:
        started = time.perf_counter()
        await graphql(http, REGISTER, {"account": proof, "email": email})
        took = time.perf_counter() - started
        await asyncio.sleep(0.2)  # the welcome e-mail, if any, goes out meanwhile
        return took

    unknown_account = {**shop, "accountNumber": "99999999"}
    known = [await seconds(shop, f"member{number}@example.net") for number in range(5)]
    unknown = [await seconds(unknown_account, f"nobody{number}@example.net") for number in range(5)]
    ratio = statistics.median(known) / statistics.median(unknown)
    assert 1 / 3 < ratio < 3, (known, unknown)


async def test_a_new_password_logs_the_other_sessions_out(
    http: httpx.AsyncClient, demo_users: None
) -> None:
    stolen = await log_in(http, DEMO_EMAIL, PASSWORD)
    mine = await log_in(http, DEMO_EMAIL, PASSWORD)
    changed = await graphql(http, CHANGE, {"current": PASSWORD, "new": NEW_PASSWORD}, token=mine)
    assert changed == {"data": {"changePassword": True}}
    assert error_codes(await graphql(http, VIEWER, token=stolen)) == ["UNAUTHENTICATED"]
    assert "errors" not in await graphql(http, VIEWER, token=mine)


async def test_an_expired_reset_code_is_refused(
    http: httpx.AsyncClient,
    mail: Mailbox,
    demo_users: None,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await graphql(http, f'mutation {{ requestPasswordReset(email: "{DEMO_EMAIL}") }}')
    code = await mail.code(DEMO_EMAIL, RESET_CODE)
    async with sessions.begin() as session:
        await session.execute(update(OneTimeToken).values(expires_at=utc_now()))
    reset = 'mutation($code: String!) { resetPassword(code: $code, newPassword: "%s") }'
    answer = await graphql(http, reset % NEW_PASSWORD, {"code": code})
    assert error_codes(answer) == ["BAD_USER_INPUT"]
    assert "errors" not in await login_answer(http, DEMO_EMAIL, PASSWORD)


async def test_no_password_code_or_token_reaches_the_logs(
    http: httpx.AsyncClient,
    mail: Mailbox,
    shop: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="gateway")
    temporary = await sign_up(http, mail, shop)
    token = (await login_answer(http, NEW_EMAIL, temporary))["data"]["login"]["token"]
    await graphql(http, CHANGE, {"current": temporary, "new": NEW_PASSWORD}, token=token)
    await mail.next_message(NEW_EMAIL)
    await graphql(http, f'mutation {{ requestPasswordReset(email: "{NEW_EMAIL}") }}')
    code = await mail.code(NEW_EMAIL, RESET_CODE)
    assert "audit REGISTERED" in caplog.text  # the gateway's records are captured
    for secret in (temporary, token, NEW_PASSWORD, code, shop["postalCode"]):
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("operation", "variables"),
    [
        (LOGIN, {"email": "x@example.net", "password": "guess"}),
        (
            REGISTER,
            {
                "email": "x@example.net",
                "account": {"accountNumber": "1", "holderName": "X", "postalCode": "00000"},
            },
        ),
        (ASK_RESET, {"email": "x@example.net"}),
        ('mutation { resetPassword(code: "cgr_x", newPassword: "x") }', {}),
    ],
)
async def test_attempts_past_the_limit_are_rate_limited(
    database_url: str,
    engine: AsyncEngine,
    coop_files: tuple[Path, ...],
    operation: str,
    variables: dict[str, Any],
) -> None:
    settings = Settings(database_url=database_url, cooperatives=coop_files, attempts_per_minute=3)
    with serving(create_app(settings), lifespan="on") as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            answers = [await graphql(client, operation, variables) for _ in range(4)]
    # Three answered as usual (whatever they say), the fourth refused.
    assert all("RATE_LIMITED" not in error_codes(answer) for answer in answers[:3])
    assert error_codes(answers[3]) == ["RATE_LIMITED"]
