"""The co-op's tariff: rate schedules, the monthly power cost adjustment and sales tax."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from adapters.cis_soap.simulator.hashing import between, mix
from adapters.records import RateSchedule, TimeOfUsePeriod

_SALT_POWER_COST = 21


def _rate(code: str, name: str, fixed: str, energy: str, *periods: TimeOfUsePeriod) -> RateSchedule:
    return RateSchedule("", code, name, Decimal(fixed), Decimal(energy), periods)


RESIDENTIAL = "RES-1"
RESIDENTIAL_TOU = "RES-TOU"
SEASONAL = "SEA-1"
GENERAL_SERVICE = "GS-1"
FARM = "FARM-1"
IRRIGATION = "IRR-1"
GRAIN_DRYING = "GD-1"

RATE_SCHEDULES: dict[str, RateSchedule] = {
    rate.rate_code: rate
    for rate in (
        _rate(RESIDENTIAL, "Residential Service", "0.9500", "0.1125"),
        _rate(
            RESIDENTIAL_TOU,
            "Residential Time-of-Use",
            "0.9500",
            "0.0890",
            TimeOfUsePeriod("On-peak", 15, 20, True, Decimal("0.2150")),
            TimeOfUsePeriod("Overnight", 0, 6, False, Decimal("0.0650")),
        ),
        _rate(SEASONAL, "Seasonal Residential", "1.1000", "0.1180"),
        _rate(GENERAL_SERVICE, "General Service", "1.3500", "0.1095"),
        _rate(FARM, "Farm Service", "1.0500", "0.1060"),
        _rate(IRRIGATION, "Irrigation Service", "2.4000", "0.0920"),
        _rate(GRAIN_DRYING, "Grain Drying Service", "1.9500", "0.0985"),
    )
}

# Sales tax by revenue class; classes not listed are exempt.
SALES_TAX = {"Commercial": Decimal("0.055")}


def rate_schedule(account_number: str, rate_code: str) -> RateSchedule:
    return dataclasses.replace(RATE_SCHEDULES[rate_code], account_number=account_number)


def power_cost_adjustment(seed: int, period_index: int) -> Decimal:
    """The wholesale power cost pass-through per kWh for a billing month, the same for all."""
    return Decimal(between(-40, 80, mix(seed, period_index, _SALT_POWER_COST))).scaleb(-4)
