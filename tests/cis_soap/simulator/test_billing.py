"""Bills, payments and balances agree with each other and with the usage they bill."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.cis_soap.simulator import demo
from adapters.cis_soap.simulator.backend import SimulatedCis
from adapters.records import Account, Bill, DateRange, IntervalLength, Payment

from .simulated import NOW, Clock, midnight, next_day, small_cis

EVER = DateRange(date(2000, 1, 1), date(2100, 1, 1))

ORDINARY = 12  # sampled members, as "ordinary-<n>" in the parameters below


@pytest.fixture(scope="module")
def cis() -> Iterator[SimulatedCis]:
    simulated = small_cis()
    yield simulated
    asyncio.run(simulated.aclose())


@pytest.fixture
def account(cis: SimulatedCis, account_key: str) -> str:
    """The account an ``account_key`` parameter names: itself, or an ordinary member's."""
    if account_key.startswith("ordinary-"):
        return cis.sample(ORDINARY)[int(account_key.removeprefix("ordinary-"))].account_number
    return account_key


def ordinary(count: int) -> list[str]:
    return [f"ordinary-{number}" for number in range(count)]


async def history(cis: SimulatedCis, account: str) -> tuple[tuple[Bill, ...], tuple[Payment, ...]]:
    bills = (await cis.get_bills([account], EVER))[account]
    payments = (await cis.get_payments([account], EVER))[account]
    return bills, payments


@pytest.mark.parametrize(
    "account_key",
    [*demo.DEMO_ACCOUNTS, demo.FARM_ACCOUNTS[0], demo.FARM_ACCOUNTS[-1], *ordinary(4)],
)
async def test_billed_kwh_is_the_net_of_the_period_intervals(
    cis: SimulatedCis, account: str
) -> None:
    (location,) = (await cis.get_service_locations([account]))[account]
    (meter,) = location.meter_numbers
    bills, _ = await history(cis, account)
    for bill in bills[:3]:
        start, end = midnight(bill.period_start), midnight(next_day(bill.period_end))
        days = (await cis.get_usage([meter], start, end, IntervalLength.DAILY))[meter]
        assert len(days) == (bill.period_end - bill.period_start).days + 1
        net = sum((day.kwh_delivered - day.kwh_received for day in days), Decimal(0))
        assert bill.kwh_billed == net


@pytest.mark.parametrize("account_key", [*demo.DEMO_ACCOUNTS, *ordinary(ORDINARY)])
async def test_bills_chain_and_add_up(cis: SimulatedCis, account: str) -> None:
    bills, payments = await history(cis, account)
    oldest_first = list(reversed(bills))
    assert [bill.bill_date for bill in bills] == sorted((b.bill_date for b in bills), reverse=True)
    assert oldest_first[0].prior_balance == 0
    for previous, bill in zip([None, *oldest_first], oldest_first, strict=False):
        charges = sum((line.amount for line in bill.charges), Decimal(0))
        assert bill.total_due == bill.prior_balance - bill.payments_applied + charges
        assert bill.due_date > bill.bill_date > bill.period_end
        if previous is not None:
            assert bill.prior_balance == previous.total_due
            assert bill.period_start == next_day(previous.period_end)
            paid = sum(
                (
                    p.amount
                    for p in payments
                    if previous.bill_date < p.posted_at.date() <= bill.bill_date
                ),
                Decimal(0),
            )
            assert bill.payments_applied == paid


@pytest.mark.parametrize("account_key", [*demo.DEMO_ACCOUNTS, *ordinary(ORDINARY)])
async def test_balance_is_the_newest_bill_less_later_payments(
    cis: SimulatedCis, account: str
) -> None:
    bills, payments = await history(cis, account)
    summary = (await cis.get_accounts([account]))[account]
    balance = summary.balance
    paid_since = sum(
        (p.amount for p in payments if p.posted_at.date() > bills[0].bill_date), Decimal(0)
    )
    assert balance.total == bills[0].total_due - paid_since
    assert balance.total == balance.current + balance.past_30 + balance.past_60 + balance.past_90
    assert summary.last_bill_date == bills[0].bill_date
    assert summary.last_bill_amount == bills[0].total_due
    assert summary.payment_due_date == bills[0].due_date
    if payments:
        assert summary.last_payment_date == payments[0].posted_at.date()
        assert summary.last_payment_amount == payments[0].amount


async def test_open_accounts_have_24_monthly_bills(cis: SimulatedCis) -> None:
    accounts = await cis.get_accounts(cis.account_numbers)
    bills = await cis.get_bills(cis.account_numbers, EVER)
    for number, account in accounts.items():
        if account.account_status.value == "Active":
            assert len(bills[number]) == 24
            assert bills[number][0].bill_date > NOW.date() - timedelta(days=33)
        else:
            assert 12 <= len(bills[number]) < 24
            assert account.balance.total == 0


async def test_members_pay_in_various_ways(cis: SimulatedCis) -> None:
    payments = await cis.get_payments(cis.account_numbers, EVER)
    every = [payment for group in payments.values() for payment in group]
    assert {p.channel.value for p in every} >= {"Web", "Autopay", "Mail", "Office", "DropBox"}
    assert {p.tender_type.value for p in every} == {"Card", "ACH", "Check", "Cash"}
    accounts = await cis.get_accounts(cis.account_numbers)
    owing = [a for a in accounts.values() if a.balance.past_30 > 0]
    assert 0 < len(owing) < len(accounts) / 4


async def test_time_of_use_home_bills_each_window(cis: SimulatedCis) -> None:
    bills, _ = await history(cis, demo.DEMO_HOME_ACCOUNT)
    rate = (await cis.get_rate_schedules([demo.DEMO_HOME_ACCOUNT]))[demo.DEMO_HOME_ACCOUNT]
    assert [period.name for period in rate.time_of_use_periods] == ["On-peak", "Overnight"]
    descriptions = [line.description for line in bills[0].charges]
    assert descriptions[0].startswith("Customer charge")
    assert any(d.startswith("On-peak energy") for d in descriptions)
    assert any(d.startswith("Overnight energy") for d in descriptions)
    assert any(d.startswith("Standard energy") for d in descriptions)


@pytest.mark.parametrize(
    "today", [date(2026, 11, 18), date(2026, 3, 31), date(2026, 2, 28), date(2027, 1, 13)]
)
async def test_demo_cabin_is_past_due_whatever_the_date(today: date) -> None:
    local = SimulatedCis(members=1, clock=Clock(datetime.combine(today, NOW.timetz())))
    cabin = (await local.get_accounts([demo.DEMO_CABIN_ACCOUNT]))[demo.DEMO_CABIN_ACCOUNT]
    balance = cabin.balance
    assert balance.current > 0
    assert balance.past_30 > 0
    assert balance.past_60 > 0
    assert balance.past_90 == 0
    assert cabin.last_payment_date is not None
    assert cabin.last_payment_date < today - timedelta(days=60)


async def test_bills_are_filtered_by_inclusive_bill_dates(cis: SimulatedCis) -> None:
    bills, _ = await history(cis, demo.DEMO_SHOP_ACCOUNT)
    newest, second = bills[0], bills[1]
    window = DateRange(second.bill_date, newest.bill_date)
    assert (await cis.get_bills([demo.DEMO_SHOP_ACCOUNT], window))[demo.DEMO_SHOP_ACCOUNT] == (
        newest,
        second,
    )
    nothing = DateRange(date(2001, 1, 1), date(2001, 12, 31))
    found = await cis.get_bills([demo.DEMO_SHOP_ACCOUNT, "NO-SUCH"], nothing)
    assert found == {demo.DEMO_SHOP_ACCOUNT: ()}


def money_amounts(
    account: Account, bills: tuple[Bill, ...], payments: tuple[Payment, ...]
) -> Iterator[Decimal | None]:
    balance = account.balance
    yield from (balance.current, balance.past_30, balance.past_60, balance.past_90, balance.total)
    yield from (account.last_payment_amount or Decimal("0.00"), account.last_bill_amount)
    for bill in bills:
        yield from (bill.prior_balance, bill.payments_applied, bill.total_due)
        yield from (line.amount for line in bill.charges)
    yield from (payment.amount for payment in payments)


async def test_every_amount_is_written_to_the_cent(cis: SimulatedCis) -> None:
    """Money goes on the wire as str(Decimal): 57.00, never 57."""
    numbers = cis.account_numbers
    accounts = await cis.get_accounts(numbers)
    bills, payments = await cis.get_bills(numbers, EVER), await cis.get_payments(numbers, EVER)
    partial = 0
    for number, account in accounts.items():
        for amount in money_amounts(account, bills[number], payments[number]):
            assert amount is not None
            assert amount.as_tuple().exponent == -2, (number, amount)
        partial += sum(p.amount % 1 == 0 for p in payments[number])
    assert partial  # whole-dollar payments are among them
