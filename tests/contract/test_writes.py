"""Writes: payments applied at most once per reference, outage reports, contact changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from adapters.contract import CisAdapter
from adapters.errors import CisFault
from adapters.records import (
    Address,
    ContactUpdate,
    DateRange,
    OutageReport,
    OutageReportKind,
    OutageStatus,
    PaymentChannel,
    PaymentTransaction,
    TenderType,
)

from .facts import ContractFacts


def payment(account_number: str, amount: str, reference: str | None = None) -> PaymentTransaction:
    return PaymentTransaction(
        external_reference=reference or f"contract-{uuid.uuid4()}",
        account_number=account_number,
        amount=Decimal(amount),
        tender_type=TenderType.CARD,
        channel=PaymentChannel.WEB,
        received_at=datetime.now(UTC),
    )


async def test_a_payment_moves_the_balance_at_once_and_only_once(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    number = facts.account_numbers[0]
    before = (await cis.get_accounts([number]))[number].balance.total
    transaction = payment(number, "12.34")

    (receipt,) = await cis.process_payments([transaction])
    (repeat,) = await cis.process_payments([transaction])

    assert receipt.already_applied is False
    assert repeat.already_applied is True
    assert repeat.payment_id == receipt.payment_id
    assert (receipt.account_number, receipt.amount) == (number, Decimal("12.34"))
    after = (await cis.get_accounts([number]))[number].balance.total
    assert after == before - Decimal("12.34")


async def test_an_applied_payment_is_in_the_payment_history(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    number = facts.account_numbers[1]
    (receipt,) = await cis.process_payments([payment(number, "5.00")])

    posted_day = receipt.posted_at.astimezone(facts.time_zone).date()
    history = await cis.get_payments([number], DateRange(posted_day, posted_day))

    (listed,) = [p for p in history[number] if p.payment_id == receipt.payment_id]
    assert listed.amount == Decimal("5.00")
    assert listed.external_reference == receipt.external_reference


async def test_a_batch_with_an_unknown_account_applies_nothing(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    number = facts.account_numbers[0]
    before = (await cis.get_accounts([number]))[number].balance.total

    with pytest.raises(CisFault) as fault:
        await cis.process_payments([payment(number, "1.00"), payment(facts.unknown_key, "1.00")])

    assert facts.unknown_key in (fault.value.subject or fault.value.reason)
    assert (await cis.get_accounts([number]))[number].balance.total == before


async def test_reporting_twice_joins_the_same_outage(cis: CisAdapter, facts: ContractFacts) -> None:
    number = facts.account_numbers[2]
    (location, *_) = (await cis.get_service_locations([number]))[number]
    report = OutageReport(
        account_number=number,
        service_location_id=location.service_location_id,
        kind=OutageReportKind.NO_POWER,
        reported_at=datetime.now(UTC),
        note="Lights out since the storm",
        callback_phone="555-0100",
    )

    (first,) = await cis.submit_outage_reports([report])
    (second,) = await cis.submit_outage_reports([report])

    assert first.outage_event_id == second.outage_event_id
    assert first.report_id != second.report_id
    assert first.status is not OutageStatus.RESTORED
    status = (await cis.get_outage_status([location.service_location_id]))[
        location.service_location_id
    ]
    assert status.outage_event_id == first.outage_event_id


async def test_contact_changes_are_what_the_cis_then_holds(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    number = facts.account_numbers[3]
    customer_id = (await cis.get_accounts([number]))[number].customer_id
    address = Address("12 Cooperative Way", "Springfield", "IL", "62704", line2="Unit 2")
    update = ContactUpdate(
        customer_id, email=f"{uuid.uuid4().hex[:8]}@example.org", billing_address=address
    )

    updated = await cis.update_contact_info([update])

    assert updated[customer_id].email == update.email
    assert updated[customer_id].billing_address == address
    assert (await cis.get_customers([customer_id]))[customer_id] == updated[customer_id]
