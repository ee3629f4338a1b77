"""Batch reads: answered by key, unknown keys left out, records consistent with each other."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from adapters.contract import CisAdapter
from adapters.records import DateRange

from .facts import ContractFacts

TWO_PLACES = Decimal("0.01")


def is_money(value: Decimal) -> bool:
    return isinstance(value, Decimal) and value == value.quantize(TWO_PLACES)


def last_year(today: date) -> DateRange:
    return DateRange(today - timedelta(days=365), today)


async def test_accounts_by_number_are_keyed_and_unknown_keys_are_missing(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    keys = [*facts.account_numbers, facts.unknown_key]
    accounts = await cis.get_accounts(keys)

    assert set(accounts) == set(facts.account_numbers)
    for number, account in accounts.items():
        assert account.account_number == number
        balance = account.balance
        assert all(
            is_money(amount)
            for amount in (balance.current, balance.past_30, balance.past_60, balance.past_90)
        )
        assert (
            balance.total == balance.current + balance.past_30 + balance.past_60 + balance.past_90
        )


async def test_customers_and_their_accounts_agree(cis: CisAdapter, facts: ContractFacts) -> None:
    accounts = await cis.get_accounts(facts.account_numbers)
    customer_ids = sorted({account.customer_id for account in accounts.values()})

    customers = await cis.get_customers([*customer_ids, facts.unknown_key])
    by_customer = await cis.get_accounts_by_customer([*customer_ids, facts.unknown_key])

    assert set(customers) == set(customer_ids) == set(by_customer)
    for customer_id, owned in by_customer.items():
        assert customers[customer_id].customer_id == customer_id
        assert all(account.customer_id == customer_id for account in owned)
    owned_numbers = {account.account_number for owned in by_customer.values() for account in owned}
    assert set(facts.account_numbers) <= owned_numbers


async def test_service_locations_and_meters_link_up(cis: CisAdapter, facts: ContractFacts) -> None:
    accounts = await cis.get_accounts(facts.account_numbers)
    locations = await cis.get_service_locations([*facts.account_numbers, facts.unknown_key])

    assert set(locations) == set(facts.account_numbers)
    meter_numbers: list[str] = []
    for number, account_locations in locations.items():
        assert {location.service_location_id for location in account_locations} == set(
            accounts[number].service_location_ids
        )
        for location in account_locations:
            assert location.account_number == number
            meter_numbers.extend(location.meter_numbers)

    meters = await cis.get_meters([*meter_numbers, facts.unknown_key])
    assert set(meters) == set(meter_numbers)
    location_ids = {loc.service_location_id for locs in locations.values() for loc in locs}
    assert all(meter.service_location_id in location_ids for meter in meters.values())


async def test_bills_are_itemised_exact_and_newest_first(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    period = last_year(date.today())
    bills = await cis.get_bills([*facts.account_numbers, facts.unknown_key], period)

    assert set(bills) == set(facts.account_numbers)
    for number, account_bills in bills.items():
        assert account_bills, f"no bills in a year for {number}"
        assert [bill.bill_date for bill in account_bills] == sorted(
            (bill.bill_date for bill in account_bills), reverse=True
        )
        for bill in account_bills:
            assert bill.account_number == number
            assert period.start <= bill.bill_date <= period.end
            assert bill.period_start <= bill.period_end < bill.bill_date <= bill.due_date
            assert all(is_money(line.amount) for line in bill.charges)
            charged = sum((line.amount for line in bill.charges), Decimal(0))
            assert bill.total_due == bill.prior_balance - bill.payments_applied + charged


async def test_payments_are_exact_and_inside_the_period(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    period = last_year(date.today())
    payments = await cis.get_payments([*facts.account_numbers, facts.unknown_key], period)

    assert set(payments) == set(facts.account_numbers)
    assert all(payments.values()), "every test account should have paid within a year"
    for number, account_payments in payments.items():
        posted = [payment.posted_at for payment in account_payments]
        assert posted == sorted(posted, reverse=True)
        for payment in account_payments:
            assert payment.account_number == number
            assert is_money(payment.amount)
            assert payment.amount > 0
            assert payment.posted_at.tzinfo is not None
            local_day = payment.posted_at.astimezone(facts.time_zone).date()
            assert period.start <= local_day <= period.end


async def test_rate_schedules(cis: CisAdapter, facts: ContractFacts) -> None:
    rates = await cis.get_rate_schedules([*facts.account_numbers, facts.unknown_key])

    assert set(rates) == set(facts.account_numbers)
    for number, rate in rates.items():
        assert rate.account_number == number
        assert rate.fixed_daily_charge >= 0
        assert rate.energy_charge_per_kwh > 0
        for period in rate.time_of_use_periods:
            assert 0 <= period.start_hour < period.end_hour <= 24


async def test_a_batch_larger_than_any_cis_limit_is_answered_whole(
    cis: CisAdapter, facts: ContractFacts
) -> None:
    # Adapters split big batches themselves: callers never see the CIS's limit.
    unknown = [f"{facts.unknown_key}-{n}" for n in range(1200 - len(facts.account_numbers))]
    accounts = await cis.get_accounts([*facts.account_numbers, *unknown])

    assert set(accounts) == set(facts.account_numbers)
