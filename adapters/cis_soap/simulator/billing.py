"""Bills and payment history computed from an account's usage and rate.

A bill's kWh is the net energy (delivered minus received) of its period's intervals;
time-of-use energy is summed per window from the quarter-hours. Each bill carries
``total_due = prior_balance - payments_applied + sum(charges)``, where the prior
balance is the previous bill's total due and the payments are those posted after the
previous bill date up to this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from adapters.cis_soap.simulator import cycles, rates
from adapters.cis_soap.simulator.hashing import between, mix, pick
from adapters.cis_soap.simulator.specs import AccountSpec, PayerHabit
from adapters.cis_soap.simulator.usage import Flow, UsageModel, day_slots
from adapters.records import (
    Balance,
    Bill,
    ChargeLine,
    Payment,
    PaymentChannel,
    RateSchedule,
    TenderType,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_SALT_PAYMENT = 61
# A delinquent member has not paid the bills that fell due in this many recent days.
_DELINQUENT_DAYS = 70
_CHANNEL_TENDERS = (
    (PaymentChannel.WEB, (TenderType.CARD, TenderType.ACH)),
    (PaymentChannel.MOBILE, (TenderType.CARD,)),
    (PaymentChannel.PHONE, (TenderType.CARD,)),
    (PaymentChannel.MAIL, (TenderType.CHECK,)),
    (PaymentChannel.OFFICE, (TenderType.CASH, TenderType.CHECK, TenderType.CARD)),
    (PaymentChannel.DROP_BOX, (TenderType.CHECK,)),
)
_ONLINE = (PaymentChannel.WEB, PaymentChannel.MOBILE, PaymentChannel.PHONE, PaymentChannel.AUTOPAY)


@dataclass(frozen=True, slots=True)
class Ledger:
    """An account's generated history as of the simulator's anchor date."""

    bills: tuple[Bill, ...]  # oldest first
    payments: tuple[Payment, ...]  # oldest first


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def build_ledger(
    account: AccountSpec, usage: UsageModel, seed: int, today: date, zone: ZoneInfo
) -> Ledger:
    rate = rates.RATE_SCHEDULES[account.rate_code]
    bills: list[Bill] = []
    payments: list[Payment] = []
    in_flight: list[tuple[date, Decimal]] = []  # payments posted after the newest bill
    prior_balance = ZERO
    for index in range(account.first_period, account.last_period + 1):
        start, end = cycles.period_bounds(account.read_day, index)
        billed_on = cycles.bill_date(account.read_day, index)
        applied = sum((amount for posted, amount in in_flight if posted <= billed_on), ZERO)
        in_flight = [(posted, amount) for posted, amount in in_flight if posted > billed_on]
        charges, kwh = _charges(account, rate, usage, seed, index, start, end)
        bill = Bill(
            bill_id=f"B{account.account_number}-{start:%Y%m}",
            account_number=account.account_number,
            bill_date=billed_on,
            period_start=start,
            period_end=end,
            due_date=billed_on + timedelta(days=cycles.DAYS_TO_PAY),
            prior_balance=prior_balance,
            payments_applied=applied,
            total_due=prior_balance - applied + sum((line.amount for line in charges), ZERO),
            kwh_billed=kwh,
            charges=charges,
        )
        bills.append(bill)
        pending = sum((amount for _, amount in in_flight), ZERO)
        payment = _payment_for(account, bill, bill.total_due - pending, seed, today, zone)
        if payment is not None and payment.posted_at.date() <= today:
            payments.append(payment)
            in_flight.append((payment.posted_at.date(), payment.amount))
        prior_balance = bill.total_due
    return Ledger(tuple(bills), tuple(payments))


def outstanding(ledger: Ledger, applied: Sequence[Payment]) -> Decimal:
    """What the account owes now: the newest bill's total due, less the generated payments
    posted after it and every payment applied since the simulator started."""
    last_bill = ledger.bills[-1]
    paid = [p.amount for p in ledger.payments if p.posted_at.date() > last_bill.bill_date]
    paid.extend(payment.amount for payment in applied)
    return last_bill.total_due - sum(paid, ZERO)


def aged_balance(bills: tuple[Bill, ...], outstanding: Decimal, today: date) -> Balance:
    """Age what is owed by the bills it came from: payments settle the oldest charges first,
    so the amount still owed is made of the newest charges. Buckets count days past due:
    current (not yet due), 1-30, 31-60, over 60."""
    buckets = [ZERO] * 4
    remaining = outstanding
    for bill in reversed(bills):
        if remaining <= 0:
            break
        new_charges = sum((line.amount for line in bill.charges), ZERO)
        part = min(remaining, max(new_charges, ZERO))
        days_late = (today - bill.due_date).days
        bucket = 0 if days_late <= 0 else min(3, (days_late + 29) // 30)
        buckets[bucket] += part
        remaining -= part
    buckets[3 if remaining > 0 else 0] += remaining
    current, past_30, past_60, past_90 = buckets
    return Balance(current, past_30, past_60, past_90, total=outstanding)


def _charges(
    account: AccountSpec,
    rate: RateSchedule,
    usage: UsageModel,
    seed: int,
    index: int,
    start: date,
    end: date,
) -> tuple[tuple[ChargeLine, ...], Decimal]:
    days = (end - start).days + 1
    meters = [meter.profile for location in account.locations for meter in location.meters]
    lines = [
        ChargeLine(
            f"Customer charge ({days} days at ${rate.fixed_daily_charge}/day)",
            money(rate.fixed_daily_charge * days),
        )
    ]
    windows = _window_energy(account, rate, usage, index) if rate.time_of_use_periods else None
    if windows is None:
        net = sum(
            usage.period_total(m, index, Flow.DELIVERED)
            - usage.period_total(m, index, Flow.RECEIVED)
            for m in meters
        )
        windows = {"Energy charge": net}
    prices = {period.name: period.energy_charge_per_kwh for period in rate.time_of_use_periods}
    for name, watt_hours in windows.items():
        kwh, price = Decimal(watt_hours).scaleb(-3), prices.get(name, rate.energy_charge_per_kwh)
        label = name if name == "Energy charge" else f"{name} energy"
        lines.append(ChargeLine(f"{label} ({kwh} kWh at ${price}/kWh)", money(kwh * price)))
    kwh_billed = Decimal(sum(windows.values())).scaleb(-3)
    adjustment = rates.power_cost_adjustment(seed, index)
    lines.append(
        ChargeLine(
            f"Power cost adjustment ({kwh_billed} kWh at ${adjustment}/kWh)",
            money(kwh_billed * adjustment),
        )
    )
    tax = rates.SALES_TAX.get(account.locations[0].revenue_class)
    if tax is not None:
        subtotal = sum((line.amount for line in lines), ZERO)
        lines.append(ChargeLine(f"Sales tax ({tax * 100:.1f}%)", money(subtotal * tax)))
    return tuple(lines), kwh_billed


def _window_energy(
    account: AccountSpec, rate: RateSchedule, usage: UsageModel, index: int
) -> dict[str, int]:
    """Net watt-hours per time-of-use window; energy outside them under "Standard"."""
    names = [period.name for period in rate.time_of_use_periods] + ["Standard"]
    # The window of each local quarter-of-day, on weekends and on weekdays.
    slot_windows = [
        [_window_of(rate, slot // 4, weekday) for slot in range(96)] for weekday in (False, True)
    ]
    totals = [0] * len(names)
    start, end = cycles.period_bounds(account.read_day, index)
    day = start
    while day <= end:
        windows = slot_windows[day.weekday() < 5]
        slots = day_slots(usage.zone, day)
        for location in account.locations:
            for meter in location.meters:
                readings = usage.readings(meter.profile, day)
                for slot, delivered, received in zip(
                    slots, readings.delivered, readings.received, strict=True
                ):
                    totals[windows[slot]] += delivered - received
        day += timedelta(days=1)
    return dict(zip(names, totals, strict=True))


def _window_of(rate: RateSchedule, hour: int, weekday: bool) -> int:
    for number, period in enumerate(rate.time_of_use_periods):
        if period.start_hour <= hour < period.end_hour and (weekday or not period.weekdays_only):
            return number
    return len(rate.time_of_use_periods)


def _payment_for(
    account: AccountSpec, bill: Bill, owed: Decimal, seed: int, today: date, zone: ZoneInfo
) -> Payment | None:
    """The payment the member makes after ``bill``, by habit, if any."""
    if owed <= 0:
        return None
    hashed = mix(seed, int(account.account_number), bill.bill_date.toordinal(), _SALT_PAYMENT)
    habit, amount = account.habit, owed
    paid_on = bill.bill_date + timedelta(days=between(3, 18, hashed))
    channel, tenders = pick(_CHANNEL_TENDERS, hashed >> 8)
    if habit is PayerHabit.AUTOPAY:
        paid_on, channel, tenders = bill.due_date, PaymentChannel.AUTOPAY, (TenderType.ACH,)
    elif habit is PayerHabit.LATE:
        paid_on = bill.due_date + timedelta(days=between(4, 20, hashed >> 16))
    elif habit is PayerHabit.PARTIAL and bill.bill_date.month % 3:
        share = Decimal(between(40, 80, hashed >> 16)) / 100
        # Whole dollars, written to the cent like every amount on the wire.
        amount = money(max(min(owed, Decimal(10)), (owed * share).quantize(Decimal(1))))
    elif habit is PayerHabit.DELINQUENT and (today - bill.due_date).days < _DELINQUENT_DAYS:
        return None
    posted_at = datetime.combine(
        paid_on, time(between(6, 19, hashed >> 24), between(0, 59, hashed >> 32)), zone
    )
    return Payment(
        payment_id=f"P{account.account_number}-{bill.period_start:%Y%m}",
        account_number=account.account_number,
        amount=amount,
        tender_type=pick(tenders, hashed >> 40),
        channel=channel,
        posted_at=posted_at,
        external_reference=f"HIST-{account.account_number}-{bill.period_start:%Y%m}"
        if channel in _ONLINE
        else None,
    )
