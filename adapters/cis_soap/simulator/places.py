"""Where the co-op's members live and what they are called: central Nebraska, area code 308."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    postal_code: str
    latitude: int  # micro-degrees
    longitude: int
    substation: str
    feeder_prefix: str
    feeder_count: int
    weight: int  # share of the members living in or around the town


STATE = "NE"
AREA_CODE = "308"

TOWNS = (
    Town("Broken Bow", "68822", 41_401_900, -99_639_300, "Broken Bow", "BB", 4, 34),
    Town("Ansley", "68814", 41_288_300, -99_382_600, "Ansley", "AN", 2, 9),
    Town("Mason City", "68855", 41_222_500, -99_298_700, "Mason City", "MC", 2, 6),
    Town("Callaway", "68825", 41_291_100, -99_924_000, "Callaway", "CW", 2, 9),
    Town("Arnold", "69120", 41_425_300, -100_193_700, "Arnold", "AR", 3, 10),
    Town("Merna", "68856", 41_482_800, -99_761_800, "Merna", "ME", 2, 8),
    Town("Anselmo", "68813", 41_616_100, -99_866_200, "Anselmo", "AS", 2, 5),
    Town("Sargent", "68874", 41_641_100, -99_371_800, "Sargent", "SA", 2, 8),
    Town("Comstock", "68828", 41_556_400, -99_240_400, "Comstock", "CO", 2, 5),
    Town("Oconto", "68860", 41_141_900, -99_762_400, "Oconto", "OC", 2, 6),
)


def _split(text: str, separator: str) -> tuple[str, ...]:
    return tuple(text.split(separator))


TOWN_BY_NAME = {town.name: town for town in TOWNS}
WEIGHTED_TOWNS = tuple(town for town in TOWNS for _ in range(town.weight))

TOWN_STREETS = _split(
    "N 5th Ave|S 9th Ave|Main St|Walnut St|Elm St|N 10th Ave|Cedar St|S E St|Grand Ave|"
    "Railroad St|Park Ave|Prospect St|Summit Ave|Ash St",
    "|",
)

FIRST_NAMES = _split(
    "James Mary Robert Linda Michael Barbara David Susan Richard Karen Thomas Nancy "
    "Daniel Lisa Mark Sandra Steven Donna Paul Carol Kevin Sharon Brian Michelle Gary "
    "Laura Jason Kimberly Jeffrey Deborah Ryan Amy Jacob Angela Dale Brenda Wayne Diane "
    "Roger Janet Dean Joyce Lyle Marlene Curtis Darlene Travis Kelsey Cody Brooke Tyler "
    "Megan Logan Hannah Colton Abby",
    " ",
)

LAST_NAMES = _split(
    "Anderson Johnson Peterson Nelson Larson Olson Hansen Christensen Schmidt Schroeder "
    "Meyer Wagner Becker Hoffman Koch Krueger Novak Svoboda Dvorak Kucera Miller Smith "
    "Brown Davis Wilson Moore Taylor Thompson White Harris Martin Clark Lewis Walker "
    "Hall Young King Wright Scott Green Baker Adams Campbell Fischer Weber Schultz "
    "Jensen Sorensen Lindquist Bauer Zimmerman Vogel Kramer Hartman Dietz Ochsner Kuhn "
    "Lutz Rasmussen Brandt",
    " ",
)

BUSINESS_KINDS = _split(
    "Implement|Feed & Seed|Auto Repair|Cafe|Veterinary Clinic|Hardware|Grain Co|Trucking|"
    "Insurance Agency|Lumber|Agronomy|Welding",
    "|",
)
