from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.cis_soap.settings import SoapAdapterSettings
from adapters.cis_soap.simulator.control import DEFAULT_PASSWORD, DEFAULT_USER_ID
from adapters.cis_soap.simulator.places import TOWNS
from gateway.cooperatives import (
    CooperativeError,
    Office,
    OfficeKind,
    load_cooperative,
    load_cooperatives,
)

DEMO_FILE = Path(__file__).parents[2] / "config" / "demo-coop.toml"

MINIMAL = """
id = "{id}"
name = "Prairie Wind Electric"
time_zone = "America/Denver"
host_names = ["{id}.example.coop"]

[cis]
url = "https://cis.prairie.example/soap"
user_id = "gw"
password = "s3cret"
company = "PWE"

[[offices]]
name = "Main Office"
kind = "office"
address = "1 Main St, Ogallala, NE 69153"
latitude = 41.128
longitude = -101.7196
hours = ["Monday-Friday 8-5"]
"""


def write(folder: Path, text: str, name: str = "coop.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def minimal(folder: Path, cooperative_id: str = "prairie-wind", name: str = "coop.toml") -> Path:
    return write(folder, MINIMAL.format(id=cooperative_id), name)


def _km(latitude: Decimal, longitude: Decimal, town_latitude: int, town_longitude: int) -> float:
    # Equirectangular distance: ample for a few kilometres.
    dlat = math.radians(float(latitude) - town_latitude / 1e6)
    dlon = math.radians(float(longitude) - town_longitude / 1e6) * math.cos(math.radians(41.4))
    return 6371 * math.hypot(dlat, dlon)


def test_the_demo_coop_is_the_simulators_territory() -> None:
    coop = load_cooperative(DEMO_FILE)

    assert coop.id == "custer-prairie"
    assert coop.time_zone.key == "America/Chicago"
    kinds = [office.kind for office in coop.offices]
    assert kinds.count(OfficeKind.OFFICE) == 3
    assert kinds.count(OfficeKind.DROP_BOX) == 3
    for office in coop.offices:
        assert office.hours
        assert isinstance(office.latitude, Decimal)
        nearest = min(
            _km(office.latitude, office.longitude, town.latitude, town.longitude) for town in TOWNS
        )
        assert nearest < 3, f"{office.name} is {nearest:.1f} km from the nearest town"
    assert coop.cis_settings() == SoapAdapterSettings(
        url="http://127.0.0.1:8001/cis",
        user_id=DEFAULT_USER_ID,
        password=DEFAULT_PASSWORD,
        company=coop.cis.company,
        connect_timeout=1.0,
    )


def test_a_minimal_file(tmp_path: Path) -> None:
    coop = load_cooperative(minimal(tmp_path))

    assert coop.host_names == ("prairie-wind.example.coop",)
    assert coop.offices == (
        Office(
            name="Main Office",
            kind=OfficeKind.OFFICE,
            address="1 Main St, Ogallala, NE 69153",
            latitude=Decimal("41.128"),
            longitude=Decimal("-101.7196"),
            hours=("Monday-Friday 8-5",),
        ),
    )
    assert coop.cis_settings() == SoapAdapterSettings(
        url="https://cis.prairie.example/soap", user_id="gw", password="s3cret", company="PWE"
    )
    assert "s3cret" not in repr(coop)


def test_resilience_overrides_reach_the_adapter_settings(tmp_path: Path) -> None:
    text = MINIMAL.format(id="p") + "[cis.resilience]\nretries = 0\nbreaker_cooldown = 5\n"
    settings = load_cooperative(write(tmp_path, text)).cis_settings()

    assert (settings.retries, settings.breaker_cooldown) == (0, 5.0)
    assert isinstance(settings.breaker_cooldown, float)


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ('name = "Prairie Wind Electric"\n', "", "name: missing"),
        ('url = "https://cis.prairie.example/soap"\n', "", "cis.url: missing"),
        ("latitude = 41.128\n", "", "offices[0].latitude: missing"),
        ("latitude = 41.128", "latitude = 141.128", "offices[0].latitude: must be within"),
        ("longitude = -101.7196", 'longitude = "west"', "offices[0].longitude: must be a number"),
        ('kind = "office"', 'kind = "kiosk"', "offices[0].kind: must be one of office, drop_box"),
        ('"America/Denver"', '"America/Nowhere"', "time_zone: unknown time zone"),
        ('"America/Denver"', '"../../etc/passwd"', "time_zone: unknown time zone"),
        ('id = "p"', 'id = "Prairie Wind"', "id: must be lowercase"),
        ('["p.example.coop"]', '["p.example.coop:8000"]', "host_names: must list host names"),
        ('["p.example.coop"]', "[]", "host_names: must list host names"),
        ('hours = ["Monday-Friday 8-5"]', 'hours = "8-5"', "offices[0].hours: must be a list"),
        ('company = "PWE"', 'company = "PWE"\nport = 8080', "cis.port: unknown key"),
        ('company = "PWE"', 'company = "PWE"\npassword_env = "X"', "cis.password: give either"),
        ('company = "PWE"', 'company = "PWE"\nresilience = 3', "cis.resilience: must be a table"),
        ("[[offices]]", "[offices]", "offices: must be an array of tables"),
        ("[cis]", "[cis_soap]", "cis_soap: unknown key"),
    ],
)
def test_bad_files_say_where_and_why(tmp_path: Path, old: str, new: str, error: str) -> None:
    text = MINIMAL.format(id="p")
    assert old in text
    path = write(tmp_path, text.replace(old, new, 1))

    with pytest.raises(CooperativeError) as raised:
        load_cooperative(path)

    assert str(raised.value).startswith(f"{path}: {error}")


@pytest.mark.parametrize(
    ("resilience", "error"),
    [
        ("retries = 1.5", "cis.resilience.retries: must be a whole number"),
        ("deadline = true", "cis.resilience.deadline: must be a number"),
        ("url = 'http://elsewhere'", "cis.resilience.url: unknown key"),
        ("max_batch_size = 9999", "cis.resilience: max_batch_size must be in 1..500"),
    ],
)
def test_bad_resilience_overrides(tmp_path: Path, resilience: str, error: str) -> None:
    path = write(tmp_path, MINIMAL.format(id="p") + f"[cis.resilience]\n{resilience}\n")

    with pytest.raises(CooperativeError) as raised:
        load_cooperative(path)
    assert str(raised.value).startswith(f"{path}: {error}")


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(CooperativeError, match="cannot read"):
        load_cooperative(tmp_path / "absent.toml")
    with pytest.raises(CooperativeError, match="not valid TOML"):
        load_cooperative(write(tmp_path, 'id = "unterminated'))


def test_the_cis_password_may_come_from_the_environment(tmp_path: Path) -> None:
    text = MINIMAL.format(id="p").replace('password = "s3cret"', 'password_env = "P_CIS_PASSWORD"')
    path = write(tmp_path, text)

    coop = load_cooperative(path, environ={"P_CIS_PASSWORD": "from-env"})
    assert coop.cis_settings().password == "from-env"

    with pytest.raises(CooperativeError) as raised:
        load_cooperative(path, environ={})
    assert str(raised.value) == (
        f"{path}: cis.password_env: environment variable P_CIS_PASSWORD is not set"
    )


def test_several_coops_by_id_and_host(tmp_path: Path) -> None:
    first = minimal(tmp_path, "first", "first.toml")
    second = minimal(tmp_path, "second", "second.toml")

    coops = load_cooperatives([first, second])
    assert list(coops.by_id) == ["first", "second"]
    assert coops.default.id == "first"
    assert load_cooperatives([first, second], default_id="second").default.id == "second"
    found = coops.for_host("SECOND.example.coop:8000")
    assert found is not None
    assert found.id == "second"
    assert coops.for_host("elsewhere.example") is None


def test_coops_must_not_share_ids_or_hosts(tmp_path: Path) -> None:
    first = minimal(tmp_path, "first", "first.toml")
    again = minimal(tmp_path, "first", "again.toml")
    same_host = write(
        tmp_path,
        MINIMAL.format(id="other").replace('["other.example.coop"]', '["first.example.coop"]'),
        "other.toml",
    )

    with pytest.raises(CooperativeError, match="'first' is used by another file"):
        load_cooperatives([first, again])
    with pytest.raises(CooperativeError, match=r"'first\.example\.coop' is 'first'"):
        load_cooperatives([first, same_host])
    with pytest.raises(CooperativeError, match="default co-op 'third' is none of first"):
        load_cooperatives([first], default_id="third")
