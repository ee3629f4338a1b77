"""Load shapes: how much a kind of service uses by time of day, day of week and month.

Weights are integers so that every allocation of energy is exact (see ``usage.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.cis_soap.simulator.hashing import between, mix

QUARTERS_PER_DAY = 96


@dataclass(frozen=True, slots=True, eq=False)
class LoadShape:
    name: str
    quarter_weights: tuple[int, ...]  # one per local quarter-hour of a standard day
    monthly: tuple[int, ...]  # per-mille factor of the daily energy, January first
    weekend: int  # per-mille factor of Saturdays and Sundays
    daily_kwh: int  # a typical day's energy at factor 1000
    day_noise: tuple[int, int]  # per-mille range of day-to-day variation


def _quarters(hourly: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(weight for weight in hourly for _ in range(4))


_HOME_HOURS = (
    35,
    30,
    28,
    27,
    28,
    35,
    55,
    70,
    60,
    48,
    42,
    40,
    40,
    40,
    42,
    48,
    60,
    80,
    95,
    100,
    92,
    80,
    62,
    45,
)
_BUSINESS_HOURS = (
    20,
    20,
    20,
    20,
    20,
    25,
    50,
    85,
    100,
    100,
    100,
    100,
    95,
    100,
    100,
    100,
    95,
    80,
    45,
    30,
    25,
    22,
    20,
    20,
)
_LIVESTOCK_HOURS = (
    60,
    60,
    60,
    60,
    70,
    90,
    100,
    95,
    80,
    70,
    70,
    70,
    70,
    70,
    70,
    75,
    90,
    100,
    95,
    80,
    70,
    65,
    60,
    60,
)
_CONTINUOUS = (100,) * 24

HOME = LoadShape(
    "home",
    _quarters(_HOME_HOURS),
    (1350, 1200, 1000, 850, 850, 1100, 1400, 1350, 950, 850, 1050, 1300),
    weekend=1080,
    daily_kwh=30,
    day_noise=(750, 1250),
)
CABIN = LoadShape(
    "cabin",
    _quarters(_HOME_HOURS),
    (250, 250, 300, 450, 800, 1300, 1600, 1500, 900, 450, 250, 250),
    weekend=1400,
    daily_kwh=14,
    day_noise=(600, 1400),
)
BUSINESS = LoadShape(
    "business",
    _quarters(_BUSINESS_HOURS),
    (1150, 1100, 1000, 950, 950, 1100, 1250, 1250, 1050, 950, 1000, 1100),
    weekend=450,
    daily_kwh=80,
    day_noise=(850, 1150),
)
FARM_SHOP = LoadShape(
    "farm shop",
    _quarters(_BUSINESS_HOURS),
    (1200, 1100, 1050, 1100, 1050, 900, 900, 950, 1050, 1150, 1050, 1150),
    weekend=700,
    daily_kwh=22,
    day_noise=(600, 1400),
)
LIVESTOCK_BARN = LoadShape(
    "livestock barn",
    _quarters(_LIVESTOCK_HOURS),
    (1250, 1150, 1000, 900, 950, 1150, 1350, 1350, 1050, 900, 1000, 1200),
    weekend=1000,
    daily_kwh=45,
    day_noise=(850, 1150),
)
# Harvest: dryers run around the clock from September to November.
GRAIN_DRYER = LoadShape(
    "grain dryer",
    _quarters(_CONTINUOUS),
    (5, 5, 5, 5, 5, 5, 5, 30, 1500, 4200, 2200, 80),
    weekend=1000,
    daily_kwh=300,
    day_noise=(400, 1600),
)
# Bin fans keep stored grain cool and dry through autumn and winter.
GRAIN_AERATION = LoadShape(
    "grain aeration",
    _quarters(_CONTINUOUS),
    (600, 400, 300, 200, 50, 20, 20, 20, 200, 1500, 1800, 1000),
    weekend=1000,
    daily_kwh=40,
    day_noise=(600, 1400),
)
# Center pivots pump from June to August.
IRRIGATION_PUMP = LoadShape(
    "irrigation pump",
    _quarters(_CONTINUOUS),
    (5, 5, 5, 10, 200, 1800, 3200, 2800, 900, 20, 5, 5),
    weekend=1000,
    daily_kwh=350,
    day_noise=(500, 1500),
)
STOCK_WELL = LoadShape(
    "stock well",
    _quarters(_LIVESTOCK_HOURS),
    (900, 900, 950, 1000, 1100, 1300, 1500, 1500, 1200, 1000, 950, 900),
    weekend=1000,
    daily_kwh=8,
    day_noise=(700, 1300),
)

# Rooftop solar: kWh per installed kW per day (x1000) by month, and the half-length of
# the producing day in quarter-hours around local solar noon.
SOLAR_DAILY_YIELD = (2700, 3400, 4300, 5100, 5600, 6100, 6200, 5600, 4800, 3800, 2800, 2400)
_SOLAR_HALF_DAY = (19, 21, 24, 27, 30, 31, 31, 28, 25, 22, 19, 18)
SOLAR_CLOUD_NOISE = (150, 1150)


def _solar_quarters(month: int) -> tuple[int, ...]:
    # Solar noon is about 13:30 local in daylight-saving months, 12:30 otherwise.
    twice_noon = 2 * (54 if 3 <= month <= 10 else 50)
    twice_half = 2 * _SOLAR_HALF_DAY[month - 1]
    return tuple(
        max(0, twice_half**2 - (2 * slot + 1 - twice_noon) ** 2) for slot in range(QUARTERS_PER_DAY)
    )


SOLAR_QUARTERS = tuple(_solar_quarters(month) for month in range(1, 13))

# Quarter-hour texture: a fixed table of per-mille factors walked from a per-day offset.
NOISE_TABLE = tuple(between(850, 1150, mix(0x51, index)) for index in range(1024))
