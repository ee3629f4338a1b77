"""A co-op's payment settings, from the ``[payments]`` table of its file.

```toml
[payments]
processor_url = "http://127.0.0.1:8002"
api_key_env = "CUSTER_PRAIRIE_PROCESSOR_KEY"  # or api_key = "..." (the demo's sandbox)
max_payment = "5000.00"        # per payment, before any fee
allow_overpayment = true       # paying more than an account's balance (a credit)
card_fee = { kind = "flat", amount = "1.95" }      # none, flat (dollars) or percent
bank_account_fee = { kind = "none" }
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from gateway.payments.processor import MethodKind
from gateway.toml_table import TomlTable

CENT = Decimal("0.01")


class FeeKind(StrEnum):
    NONE = "none"
    FLAT = "flat"  # dollars per payment
    PERCENT = "percent"  # of the amount paid, rounded half up to the cent


@dataclass(frozen=True, slots=True)
class Fee:
    kind: FeeKind = FeeKind.NONE
    amount: Decimal = Decimal(0)

    def on(self, paid: Decimal) -> Decimal:
        """The fee on a payment of ``paid`` dollars."""
        if self.kind is FeeKind.FLAT:
            return self.amount.quantize(CENT)
        if self.kind is FeeKind.PERCENT:
            return (paid * self.amount / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        return Decimal("0.00")


@dataclass(frozen=True, slots=True)
class PaymentSettings:
    processor_url: str
    api_key: str = field(repr=False)
    max_payment: Decimal = Decimal("10000.00")
    allow_overpayment: bool = True
    fees: Mapping[MethodKind, Fee] = field(default_factory=dict)

    def fee(self, kind: MethodKind, paid: Decimal) -> Decimal:
        return self.fees.get(kind, Fee()).on(paid)


def load_payment_settings(table: TomlTable, environ: Mapping[str, str]) -> PaymentSettings:
    table.allow_only(
        "processor_url",
        "api_key",
        "api_key_env",
        "max_payment",
        "allow_overpayment",
        "card_fee",
        "bank_account_fee",
    )
    if ("api_key" in table.data) == ("api_key_env" in table.data):
        raise table.error("api_key", "give one of api_key and api_key_env")
    if "api_key" in table.data:
        api_key = table.text("api_key")
    else:
        variable = table.text("api_key_env")
        api_key = environ.get(variable, "").strip()
        if not api_key:
            raise table.error("api_key_env", f"the environment variable {variable} is not set")
    defaults = PaymentSettings("", "")
    return PaymentSettings(
        processor_url=table.text("processor_url").rstrip("/"),
        api_key=api_key,
        max_payment=table.money("max_payment")
        if "max_payment" in table.data
        else defaults.max_payment,
        allow_overpayment=(
            table.boolean("allow_overpayment")
            if "allow_overpayment" in table.data
            else defaults.allow_overpayment
        ),
        fees={
            MethodKind.CARD: _fee(table, "card_fee"),
            MethodKind.BANK_ACCOUNT: _fee(table, "bank_account_fee"),
        },
    )


def _fee(parent: TomlTable, key: str) -> Fee:
    if key not in parent.data:
        return Fee()
    table = parent.table(key)
    table.allow_only("kind", "amount")
    kinds = [kind.value for kind in FeeKind]
    kind = table.text("kind")
    if kind not in kinds:
        raise table.error("kind", f"must be one of {', '.join(kinds)}")
    if FeeKind(kind) is FeeKind.NONE:
        return Fee()
    return Fee(FeeKind(kind), table.money("amount"))
