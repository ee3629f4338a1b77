"""The sandbox processor, served over HTTP and reached through `SandboxProcessor`."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from gateway.payments.processor import (
    ChargeStatus,
    DeclineReason,
    MethodKind,
    ProcessorUnavailable,
)
from gateway.payments.sandbox import methods
from gateway.payments.sandbox.faults import DEFAULT_SLOW_SECONDS
from gateway.payments.sandbox.methods import (
    BANK_ACCOUNT_APPROVE,
    BANK_ACCOUNT_INSUFFICIENT_FUNDS,
    BANK_ROUTING,
    CARD_APPROVE,
    CARD_DECLINE,
    CARD_EXPIRED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_PROCESSOR_ERROR,
    CARD_SLOW,
)
from gateway.payments.sandbox.server import BANNER, DEFAULT_API_KEY
from gateway.payments.sandbox_client import SandboxProcessor
from tests.cis_soap.local_server import free_port
from tests.payments.conftest import run_sandbox
from tests.payments.paying import card
from tests.payments.sandbox import API_KEY, SLOW_SECONDS, RunningSandbox
from tests.simulator_process import REPO, read_printed_lines

YEAR = datetime.now(UTC).year + 2
ALL_CARDS = (
    CARD_APPROVE,
    CARD_DECLINE,
    CARD_INSUFFICIENT_FUNDS,
    CARD_EXPIRED,
    CARD_PROCESSOR_ERROR,
    CARD_SLOW,
)


def test_the_test_numbers_pass_their_checks() -> None:
    for number in ALL_CARDS:
        assert methods.luhn_valid(number), number
    assert methods.aba_valid(BANK_ROUTING)
    assert not methods.luhn_valid("4242424242424241")
    assert not methods.aba_valid("011000016")
    assert methods.card_brand("5555555555554444") == "MASTERCARD"
    assert methods.card_brand("378282246310005") == "AMEX"
    assert methods.card_brand("6011111111111117") == "DISCOVER"
    assert DEFAULT_SLOW_SECONDS == 3.0


async def test_tokenize_a_card(processor: SandboxProcessor) -> None:
    details = await processor.tokenize_card("4242 4242 4242 4242", 3, YEAR, "123")
    assert details.token.startswith("tok_")
    assert (details.kind, details.last4, details.brand) == (MethodKind.CARD, "4242", "VISA")
    assert (details.expiry_month, details.expiry_year, details.bank_name) == (3, YEAR, None)
    assert await processor.describe(details.token) == details
    amex = await processor.tokenize_card("378282246310005", 1, YEAR % 100, "1234")
    assert (amex.brand, amex.last4, amex.expiry_year) == ("AMEX", "0005", YEAR)
    assert await processor.describe("tok_never_issued") is None
    assert await processor.describe("no such/token") is None
    assert await processor.describe("") is None


@pytest.mark.parametrize(
    ("number", "month", "year", "cvc", "message"),
    [
        ("4242424242424241", 12, YEAR, "123", "card number is not valid"),
        ("4242", 12, YEAR, "123", "card number is not valid"),
        ("4242x24242424242", 12, YEAR, "123", "card number is not valid"),
        (CARD_APPROVE, 12, 2020, "123", "expired"),
        (CARD_APPROVE, 13, YEAR, "123", "month"),
        (CARD_APPROVE, 12, YEAR + 60, "123", "year"),
        (CARD_APPROVE, 12, YEAR, "12", "CVC"),
        (CARD_APPROVE, 12, YEAR, "12a", "CVC"),
        (CARD_APPROVE, 12, YEAR, "1234", "CVC"),
        ("378282246310005", 12, YEAR, "123", "CVC"),
    ],
)
async def test_tokenize_refuses_invalid_cards(
    processor: SandboxProcessor, number: str, month: int, year: int, cvc: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as refused:
        await processor.tokenize_card(number, month, year, cvc)
    assert number not in str(refused.value)


async def test_a_card_of_this_month_is_not_expired(processor: SandboxProcessor) -> None:
    today = datetime.now(UTC)
    details = await processor.tokenize_card(CARD_APPROVE, today.month, today.year, "123")
    assert details.expiry_month == today.month


async def test_tokenize_a_bank_account(processor: SandboxProcessor) -> None:
    details = await processor.tokenize_bank_account(BANK_ROUTING, BANK_ACCOUNT_APPROVE)
    assert details.token.startswith("tok_")
    assert (details.kind, details.last4, details.brand) == (MethodKind.BANK_ACCOUNT, "6789", None)
    assert details.bank_name == "SANDBOX TEST BANK"
    assert await processor.describe(details.token) == details
    other = await processor.tokenize_bank_account("021000021", "12345")
    assert (other.last4, other.bank_name) == ("2345", None)


@pytest.mark.parametrize(
    ("routing", "account", "message"),
    [
        ("011000016", BANK_ACCOUNT_APPROVE, "routing number"),
        ("01100001", BANK_ACCOUNT_APPROVE, "routing number"),
        (BANK_ROUTING, "123", "4 to 17 digits"),
        (BANK_ROUTING, "123456789012345678", "4 to 17 digits"),
        (BANK_ROUTING, "12-3456", "4 to 17 digits"),
    ],
)
async def test_tokenize_refuses_invalid_bank_accounts(
    processor: SandboxProcessor, routing: str, account: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        await processor.tokenize_bank_account(routing, account)


@pytest.mark.parametrize(
    ("number", "status", "reason", "message"),
    [
        (CARD_APPROVE, ChargeStatus.APPROVED, None, None),
        ("5555555555554444", ChargeStatus.APPROVED, None, None),
        (CARD_DECLINE, ChargeStatus.DECLINED, DeclineReason.DECLINED, "declined"),
        (
            CARD_INSUFFICIENT_FUNDS,
            ChargeStatus.DECLINED,
            DeclineReason.INSUFFICIENT_FUNDS,
            "insufficient funds",
        ),
        (CARD_EXPIRED, ChargeStatus.DECLINED, DeclineReason.EXPIRED, "expired"),
    ],
)
async def test_card_outcomes(
    processor: SandboxProcessor,
    number: str,
    status: ChargeStatus,
    reason: DeclineReason | None,
    message: str | None,
) -> None:
    charge = await processor.charge("ref-1", await card(processor, number), Decimal("42.5"))
    assert (charge.reference, charge.amount, charge.status) == ("ref-1", Decimal("42.50"), status)
    assert charge.charge_id.startswith("ch_")
    assert charge.created_at.tzinfo is not None
    assert charge.decline_reason == reason
    if message is None:
        assert charge.decline_message is None
    else:
        assert message in (charge.decline_message or "")
    assert await processor.find_charge("ref-1") == charge


@pytest.mark.parametrize(
    ("account", "status", "reason"),
    [
        (BANK_ACCOUNT_APPROVE, ChargeStatus.APPROVED, None),
        ("9876543210", ChargeStatus.APPROVED, None),
        (BANK_ACCOUNT_INSUFFICIENT_FUNDS, ChargeStatus.DECLINED, DeclineReason.INSUFFICIENT_FUNDS),
    ],
)
async def test_bank_account_outcomes(
    processor: SandboxProcessor, account: str, status: ChargeStatus, reason: DeclineReason | None
) -> None:
    token = (await processor.tokenize_bank_account(BANK_ROUTING, account)).token
    charge = await processor.charge("ach-1", token, Decimal("100"))
    assert (charge.status, charge.decline_reason) == (status, reason)


async def test_a_token_never_issued_is_declined(processor: SandboxProcessor) -> None:
    charge = await processor.charge("ref-1", "tok_never_issued", Decimal("5.00"))
    assert (charge.status, charge.decline_reason) == (
        ChargeStatus.DECLINED,
        DeclineReason.INVALID_METHOD,
    )


async def test_the_processor_error_card_charges_nothing(
    sandbox: RunningSandbox, processor: SandboxProcessor
) -> None:
    token = await card(processor, CARD_PROCESSOR_ERROR)
    with pytest.raises(ProcessorUnavailable, match="HTTP 502"):
        await processor.charge("ref-1", token, Decimal("10"))
    assert await processor.find_charge("ref-1") is None
    assert (await sandbox.stats())["charges"] == 0


async def test_the_slow_card_answers_late_but_charges(sandbox: RunningSandbox) -> None:
    impatient, patient = sandbox.client(timeout=SLOW_SECONDS / 4), sandbox.client()
    try:
        token = await card(patient, CARD_SLOW)
        with pytest.raises(ProcessorUnavailable, match="in time") as timed_out:
            await impatient.charge("slow-1", token, Decimal("10"))
        assert API_KEY not in str(timed_out.value)
        found = await patient.find_charge("slow-1")
        assert found is not None
        assert found.status is ChargeStatus.APPROVED
        started = time.monotonic()
        charge = await patient.charge("slow-2", token, Decimal("10"))
        assert time.monotonic() - started >= SLOW_SECONDS
        assert charge.status is ChargeStatus.APPROVED
        started = time.monotonic()
        assert await patient.charge("slow-2", token, Decimal("10")) == charge  # a repeat: quick
        assert time.monotonic() - started < SLOW_SECONDS
    finally:
        await impatient.aclose()
        await patient.aclose()


async def test_a_repeat_answers_the_first_charge(
    sandbox: RunningSandbox, processor: SandboxProcessor
) -> None:
    token = await card(processor)
    first = await processor.charge("ref-1", token, Decimal("10.5"))
    assert await processor.charge("ref-1", token, Decimal("10.50")) == first
    with pytest.raises(ValueError, match="another token or amount"):
        await processor.charge("ref-1", token, Decimal("10.51"))
    with pytest.raises(ValueError, match="another token or amount"):
        await processor.charge("ref-1", await card(processor), Decimal("10.50"))
    assert await processor.charges() == (first,)
    stats = await sandbox.stats()
    assert (stats["charges"], stats["approved"], stats["total_approved"]) == (1, 1, "10.50")


@pytest.mark.parametrize("amount", ["0", "-1", "0.001", "10.005", "NaN", "1000000"])
async def test_invalid_amounts_are_refused(processor: SandboxProcessor, amount: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        await processor.charge("ref-1", await card(processor), Decimal(amount))
    assert await processor.charges() == ()


@pytest.mark.parametrize("reference", ["", "has space", "a/b", "x" * 101, "naïve"])
async def test_invalid_references_are_refused(processor: SandboxProcessor, reference: str) -> None:
    with pytest.raises(ValueError, match="reference"):
        await processor.charge(reference, await card(processor), Decimal("1"))
    assert await processor.find_charge(reference) is None


async def test_concurrent_charges_with_one_reference_make_one_entry(
    sandbox: RunningSandbox, processor: SandboxProcessor
) -> None:
    token = await card(processor)
    charges = await asyncio.gather(
        *(processor.charge("same-ref", token, Decimal("25")) for _ in range(20))
    )
    assert len({charge.charge_id for charge in charges}) == 1
    assert await processor.charges() == (charges[0],)
    assert (await sandbox.stats())["charges"] == 1


async def test_refund(sandbox: RunningSandbox, processor: SandboxProcessor) -> None:
    token = await card(processor)
    charge = await processor.charge("ref-1", token, Decimal("30"))
    refunded = await processor.refund("ref-1")
    assert refunded.status is ChargeStatus.REFUNDED
    assert (refunded.charge_id, refunded.amount) == (charge.charge_id, charge.amount)
    assert await processor.refund("ref-1") == refunded
    assert await processor.find_charge("ref-1") == refunded
    # A repeat of the charge answers the refunded charge; it does not charge again.
    assert await processor.charge("ref-1", token, charge.amount) == refunded
    declined = await processor.charge("ref-2", await card(processor, CARD_DECLINE), Decimal("1"))
    assert declined.status is ChargeStatus.DECLINED
    with pytest.raises(ValueError, match="declined charge cannot be refunded"):
        await processor.refund("ref-2")
    with pytest.raises(ValueError, match="no charge"):
        await processor.refund("never-charged")
    stats = await sandbox.stats()
    assert (stats["refunded"], stats["total_refunded"]) == (1, "30.00")
    assert (stats["approved"], stats["total_approved"]) == (0, "0.00")


async def test_find_charge_and_the_ledger(processor: SandboxProcessor) -> None:
    assert await processor.find_charge("never-charged") is None
    assert await processor.charges() == ()
    token = await card(processor)
    made = [await processor.charge(f"ref-{n}", token, Decimal(n)) for n in (3, 1, 2)]
    assert await processor.charges() == tuple(made)  # oldest first, not by reference
    assert await processor.find_charge("ref-1") == made[1]


async def test_error_rate_fails_before_charging(
    sandbox: RunningSandbox, processor: SandboxProcessor
) -> None:
    token = await card(processor)
    await sandbox.set_faults(error_rate=1)
    with pytest.raises(ProcessorUnavailable, match="502"):
        await processor.charge("ref-1", token, Decimal("10"))
    assert await processor.find_charge("ref-1") is None
    assert (await sandbox.stats())["charges"] == 0
    await sandbox.set_faults(error_rate=0)
    assert (await processor.charge("ref-1", token, Decimal("10"))).status is ChargeStatus.APPROVED


async def test_charge_then_fail_records_the_charge(
    sandbox: RunningSandbox, processor: SandboxProcessor
) -> None:
    token = await card(processor)
    assert (await sandbox.set_faults(charge_then_fail_rate=1))["charge_then_fail_rate"] == 1
    with pytest.raises(ProcessorUnavailable, match="502"):
        await processor.charge("ref-1", token, Decimal("10"))
    found = await processor.find_charge("ref-1")
    assert found is not None
    assert found.status is ChargeStatus.APPROVED
    await sandbox.set_faults(charge_then_fail_rate=0)
    assert await processor.charge("ref-1", token, Decimal("10")) == found  # not charged twice
    stats = await sandbox.stats()
    assert (stats["charges"], stats["injected"]) == (1, 1)


async def test_fault_updates_are_checked(sandbox: RunningSandbox) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        for update in ({"error_rate": 2}, {"slow_seconds": -1}, {"nope": 1}, {"error_rate": "x"}):
            response = await http.post("/_sandbox/faults", json=update)
            assert response.status_code == 400, update
            assert "error" in response.json()
        assert (await http.get("/_sandbox/faults")).json() == {
            "error_rate": 0.0,
            "charge_then_fail_rate": 0.0,
            "slow_seconds": SLOW_SECONDS,
        }
        assert (await http.get("/_sandbox/health")).json() == {"status": "ok"}


async def test_a_wrong_api_key_is_refused(sandbox: RunningSandbox) -> None:
    wrong = sandbox.client(api_key="sk_wrong_key")
    try:
        with pytest.raises(ProcessorUnavailable, match="API key") as refused:
            await wrong.tokenize_card(CARD_APPROVE, 12, YEAR, "123")
        assert "sk_wrong_key" not in str(refused.value)
        assert "sk_wrong_key" not in repr(wrong)
    finally:
        await wrong.aclose()
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        for headers in ({}, {"Authorization": "Bearer sk_wrong_key"}, {"Authorization": API_KEY}):
            response = await http.get("/v1/charges", headers=headers)
            assert response.status_code == 401
            assert response.json()["code"] == "unauthorized"


async def test_an_unreachable_processor_is_unavailable() -> None:
    processor = SandboxProcessor(f"http://127.0.0.1:{free_port()}", API_KEY, timeout=2)
    try:
        with pytest.raises(ProcessorUnavailable) as unreachable:
            await processor.find_charge("ref-1")
        assert API_KEY not in str(unreachable.value)
    finally:
        await processor.aclose()


async def test_a_wrong_base_url_is_no_answer(sandbox: RunningSandbox) -> None:
    processor = SandboxProcessor(f"{sandbox.url}/elsewhere", API_KEY)
    try:
        with pytest.raises(ProcessorUnavailable):
            await processor.find_charge("ref-1")  # not "no such charge"
    finally:
        await processor.aclose()


async def test_numbers_are_neither_logged_nor_stored(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    database = tmp_path / "ledger.sqlite3"
    for sandbox in run_sandbox(database):
        processor = sandbox.client()
        try:
            for n, number in enumerate((*ALL_CARDS, "5555555555554444")):
                token = await card(processor, number)
                with pytest.raises(ValueError, match="card number"):
                    await processor.tokenize_card(number[:-1] + "0", 12, YEAR, "123")
                if number == CARD_SLOW:
                    continue
                failing = number == CARD_PROCESSOR_ERROR
                with pytest.raises(ProcessorUnavailable) if failing else nullcontext():
                    await processor.charge(f"ref-{n}", token, Decimal("9.99"))
            for account in (BANK_ACCOUNT_APPROVE, BANK_ACCOUNT_INSUFFICIENT_FUNDS):
                token = (await processor.tokenize_bank_account(BANK_ROUTING, account)).token
                await processor.charge(f"ach-{account[-1]}", token, Decimal("9.99"))
        finally:
            await processor.aclose()
    assert "sandbox charge" in caplog.text  # the sandbox does log, only not the numbers
    stored = database.read_bytes()
    secrets = (
        *ALL_CARDS,
        "5555555555554444",
        BANK_ACCOUNT_APPROVE,
        BANK_ACCOUNT_INSUFFICIENT_FUNDS,
    )
    for secret in (*secrets, API_KEY):
        assert secret not in caplog.text
        assert secret.encode() not in stored
        assert secret[:-1] not in caplog.text


async def test_a_database_keeps_the_ledger_across_restarts(tmp_path: Path) -> None:
    database = tmp_path / "ledger.sqlite3"
    for sandbox in run_sandbox(database):
        processor = sandbox.client()
        token = await card(processor)
        charge = await processor.charge("ref-1", token, Decimal("12.34"))
        await processor.aclose()
    for sandbox in run_sandbox(database):
        processor = sandbox.client()
        assert await processor.charges() == (charge,)
        assert (await processor.describe(token)) is not None
        assert await processor.charge("ref-1", token, Decimal("12.34")) == charge
        await processor.aclose()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_command_serves_until_signalled(tmp_path: Path, stop_signal: signal.Signals) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("COOP_GATEWAY_SANDBOX_API_KEY", None)
    command = [sys.executable, "-m", "gateway", "sandbox-processor", "--port", "0"]
    with (tmp_path / "stderr.txt").open("w") as stderr:
        process = subprocess.Popen(
            command, cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=stderr, env=env
        )
    try:
        (line,) = read_printed_lines(process, 1, timeout=60)
        assert line.startswith(BANNER), line
        url = line.removeprefix(BANNER)
        assert httpx.get(f"{url}/_sandbox/health", timeout=5).json() == {"status": "ok"}
        headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
        assert httpx.get(f"{url}/v1/charges", headers=headers, timeout=5).json() == {"charges": []}
        process.send_signal(stop_signal)
        assert process.wait(timeout=15) == 0, (tmp_path / "stderr.txt").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
