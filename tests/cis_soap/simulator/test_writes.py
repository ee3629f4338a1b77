"""Writes take effect at once, apply at most once, refuse unknown objects, and persist."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.cis_soap import operations
from adapters.cis_soap.simulator import demo
from adapters.cis_soap.simulator.backend import SimulatedCis
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
    PowerStatus,
    TenderType,
)

from .simulated import NOW, Clock, small_cis

TODAY = DateRange(NOW.date(), NOW.date())


def payment(reference: str, account: str, amount: str = "25.00") -> PaymentTransaction:
    return PaymentTransaction(
        external_reference=reference,
        account_number=account,
        amount=Decimal(amount),
        tender_type=TenderType.CARD,
        channel=PaymentChannel.WEB,
        received_at=NOW,
    )


def report(account: str, location: str) -> OutageReport:
    return OutageReport(account, location, OutageReportKind.NO_POWER, NOW, callback_phone="555")


async def balance_of(cis: SimulatedCis, account: str) -> Decimal:
    return (await cis.get_accounts([account]))[account].balance.total


async def test_payment_applies_once_and_at_once() -> None:
    cis = small_cis()
    account = demo.DEMO_HOME_ACCOUNT
    before = await balance_of(cis, account)
    (receipt,) = await cis.process_payments([payment("web-1", account)])
    assert not receipt.already_applied
    assert receipt.amount == Decimal("25.00")
    assert await balance_of(cis, account) == before - Decimal("25.00")
    (again,) = await cis.process_payments([payment("web-1", account)])
    assert again.already_applied
    assert (again.payment_id, again.posted_at) == (receipt.payment_id, receipt.posted_at)
    assert await balance_of(cis, account) == before - Decimal("25.00")
    (paid,) = (await cis.get_payments([account], TODAY))[account]
    assert (paid.payment_id, paid.external_reference) == (receipt.payment_id, "web-1")
    summary = (await cis.get_accounts([account]))[account]
    assert (summary.last_payment_date, summary.last_payment_amount) == (NOW.date(), paid.amount)
    balance = summary.balance
    assert balance.total == balance.current + balance.past_30 + balance.past_60 + balance.past_90


async def test_payments_settle_the_oldest_charges_first() -> None:
    cis = small_cis()
    cabin = demo.DEMO_CABIN_ACCOUNT
    before = (await cis.get_accounts([cabin]))[cabin].balance
    await cis.process_payments([payment("cabin-1", cabin, str(before.past_60))])
    after = (await cis.get_accounts([cabin]))[cabin].balance
    assert (after.past_60, after.past_30, after.current) == (0, before.past_30, before.current)


async def test_a_repeated_reference_within_a_batch_applies_once() -> None:
    cis = small_cis()
    account = demo.DEMO_SHOP_ACCOUNT
    first, second = await cis.process_payments([payment("m-7", account), payment("m-7", account)])
    assert (first.already_applied, second.already_applied) == (False, True)
    assert len((await cis.get_payments([account], TODAY))[account]) == 1


@pytest.mark.parametrize(
    ("account", "amount"),
    [(demo.DEMO_HOME_ACCOUNT, "25.00"), (demo.DEMO_SHOP_ACCOUNT, "26.00")],
    ids=["another-account", "another-amount"],
)
async def test_a_reference_reused_for_another_payment_refuses_the_batch(
    account: str, amount: str
) -> None:
    cis = small_cis()
    shop = demo.DEMO_SHOP_ACCOUNT
    (original,) = await cis.process_payments([payment("r-1", shop)])
    same = payment("r-1", shop, "25")  # the same amount, however written
    (again,) = await cis.process_payments([same])
    assert (again.already_applied, again.payment_id) == (True, original.payment_id)
    for batch in (
        [payment("r-2", shop), payment("r-1", account, amount)],
        [payment("r-3", shop), payment("r-3", account, amount)],
    ):
        with pytest.raises(CisFault) as fault:
            await cis.process_payments(batch)
        assert (fault.value.code, fault.value.subject) == (
            operations.FAULT_INVALID_REQUEST,
            batch[1].external_reference,
        )
    assert len((await cis.get_payments([shop, account], TODAY))[shop]) == 1


@pytest.mark.parametrize(
    "amount", ["1" * 29 + ".00", "1" * 17 + ".00", "1e40", "NaN", "Infinity", "0.001"]
)
async def test_amounts_beyond_money_are_invalid_requests(amount: str) -> None:
    cis = small_cis()
    with pytest.raises(CisFault) as fault:
        await cis.process_payments([payment("huge-1", demo.DEMO_SHOP_ACCOUNT, amount)])
    assert (fault.value.code, fault.value.subject) == (operations.FAULT_INVALID_REQUEST, "huge-1")
    largest = "9" * 16 + ".99"
    (receipt,) = await cis.process_payments([payment("large-1", demo.DEMO_SHOP_ACCOUNT, largest)])
    assert receipt.amount == Decimal(largest)


async def test_a_customer_updated_twice_shows_both_changes() -> None:
    cis = small_cis()
    customer = demo.DEMO_CUSTOMER_ID
    changed = await cis.update_contact_info(
        [ContactUpdate(customer, email="a@example.org"), ContactUpdate(customer, day_phone="1")]
    )
    assert (changed[customer].email, changed[customer].day_phone) == ("a@example.org", "1")


async def test_a_batch_with_an_unknown_account_applies_nothing() -> None:
    cis = small_cis()
    account = demo.DEMO_SHOP_ACCOUNT
    with pytest.raises(CisFault) as fault:
        await cis.process_payments([payment("ok-1", account), payment("bad-1", "NO-SUCH")])
    assert fault.value.code == operations.FAULT_UNKNOWN_OBJECT
    assert fault.value.subject == "NO-SUCH"
    assert (await cis.get_payments([account], TODAY))[account] == ()
    (receipt,) = await cis.process_payments([payment("ok-1", account)])
    assert not receipt.already_applied


async def test_closed_accounts_and_bad_amounts_are_refused() -> None:
    cis = small_cis()
    accounts = await cis.get_accounts(cis.account_numbers)
    closed = next(n for n, a in accounts.items() if a.account_status.value == "Closed")
    with pytest.raises(CisFault) as fault:
        await cis.process_payments([payment("closed-1", closed)])
    assert (fault.value.code, fault.value.subject) == (operations.FAULT_INVALID_REQUEST, closed)
    for amount in ("0", "-5.00", "1.005"):
        with pytest.raises(CisFault):
            await cis.process_payments([payment(f"bad-{amount}", demo.DEMO_SHOP_ACCOUNT, amount)])


async def test_contact_update_changes_only_what_it_names() -> None:
    cis = small_cis()
    (before,) = (await cis.get_customers([demo.DEMO_CUSTOMER_ID])).values()
    address = Address("PO Box 12", "Broken Bow", "NE", "68822")
    update = ContactUpdate(demo.DEMO_CUSTOMER_ID, email="dana@example.org", billing_address=address)
    changed = (await cis.update_contact_info([update]))[demo.DEMO_CUSTOMER_ID]
    assert (changed.email, changed.billing_address) == ("dana@example.org", address)
    assert (changed.home_phone, changed.last_name) == (before.home_phone, before.last_name)
    assert (await cis.get_customers([demo.DEMO_CUSTOMER_ID]))[demo.DEMO_CUSTOMER_ID] == changed
    with pytest.raises(CisFault) as fault:
        await cis.update_contact_info([ContactUpdate(demo.DEMO_CUSTOMER_ID), ContactUpdate("C0")])
    assert (fault.value.code, fault.value.subject) == (operations.FAULT_UNKNOWN_OBJECT, "C0")


async def test_trouble_calls_open_one_event_per_location_and_join_known_ones() -> None:
    cis = small_cis()
    feed = await cis.get_active_outages()
    home = (demo.DEMO_HOME_ACCOUNT, demo.DEMO_HOME_LOCATION)
    first, second = await cis.submit_outage_reports([report(*home), report(*home)])
    assert first.outage_event_id == second.outage_event_id
    assert first.report_id != second.report_id
    assert first.status is OutageStatus.ASSUMED
    (later,) = await cis.submit_outage_reports([report(*home)])
    assert later.outage_event_id == first.outage_event_id
    opened = await cis.get_active_outages(feed.latest_sequence)
    assert [event.outage_event_id for event in opened.events] == [first.outage_event_id]
    assert opened.events[0].customers_affected == 1
    status = (await cis.get_outage_status([demo.DEMO_HOME_LOCATION]))[demo.DEMO_HOME_LOCATION]
    assert (status.power_status, status.outage_event_id) == (
        PowerStatus.POWER_OFF,
        first.outage_event_id,
    )
    (cabin,) = await cis.submit_outage_reports(
        [report(demo.DEMO_CABIN_ACCOUNT, demo.DEMO_CABIN_LOCATION)]
    )
    cabin_status = await cis.get_outage_status([demo.DEMO_CABIN_LOCATION])
    assert cabin.outage_event_id == cabin_status[demo.DEMO_CABIN_LOCATION].outage_event_id
    assert cabin.status is OutageStatus.CONFIRMED


async def test_trouble_calls_for_unknown_or_foreign_locations_are_refused() -> None:
    cis = small_cis()
    feed = await cis.get_active_outages()
    good = report(demo.DEMO_HOME_ACCOUNT, demo.DEMO_HOME_LOCATION)
    for bad, code in [
        (report(demo.DEMO_HOME_ACCOUNT, "SL-NONE"), operations.FAULT_UNKNOWN_OBJECT),
        (report("NO-SUCH", demo.DEMO_HOME_LOCATION), operations.FAULT_UNKNOWN_OBJECT),
        (report(demo.DEMO_SHOP_ACCOUNT, demo.DEMO_HOME_LOCATION), operations.FAULT_INVALID_REQUEST),
    ]:
        with pytest.raises(CisFault) as fault:
            await cis.submit_outage_reports([good, bad])
        assert fault.value.code == code
    assert await cis.get_active_outages() == feed


async def test_writes_survive_a_restart_on_the_same_database(tmp_path: Path) -> None:
    database = tmp_path / "cis.sqlite3"
    clock = Clock()
    cis = small_cis(database_path=database, clock=clock)
    account = demo.DEMO_HOME_ACCOUNT
    before = await balance_of(cis, account)
    (receipt,) = await cis.process_payments([payment("persist-1", account)])
    await cis.update_contact_info([ContactUpdate(demo.DEMO_CUSTOMER_ID, day_phone="308-555-0000")])
    (call,) = await cis.submit_outage_reports([report(account, demo.DEMO_HOME_LOCATION)])
    feed = await cis.get_active_outages()
    await cis.aclose()

    clock.now = NOW + timedelta(minutes=30)
    again = small_cis(database_path=database, clock=clock)
    assert await balance_of(again, account) == before - Decimal("25.00")
    (repeat,) = await again.process_payments([payment("persist-1", account)])
    assert repeat.already_applied
    assert repeat.payment_id == receipt.payment_id
    customer = (await again.get_customers([demo.DEMO_CUSTOMER_ID]))[demo.DEMO_CUSTOMER_ID]
    assert customer.day_phone == "308-555-0000"
    assert await again.get_active_outages() == feed
    (joined,) = await again.submit_outage_reports([report(account, demo.DEMO_HOME_LOCATION)])
    assert joined.outage_event_id == call.outage_event_id
    assert joined.report_id != call.report_id
    await again.aclose()

    with pytest.raises(ValueError, match="seed"):
        SimulatedCis(seed=7, members=150, database_path=database, clock=clock)
