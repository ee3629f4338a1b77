"""A co-op's own facts, read from its TOML file: name, time zone, offices, how to reach its CIS.

One gateway serves several co-ops; each has a file like ``config/demo-coop.toml``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo

from adapters.cis_soap.settings import SoapAdapterSettings
from gateway.payments.settings import PaymentSettings, load_payment_settings
from gateway.toml_table import (
    CooperativeError as CooperativeError,  # re-exported: callers catch it here
)
from gateway.toml_table import TomlTable

_CONNECTION_FIELDS = ("url", "user_id", "password", "company", "app_name")
# The adapter's resilience settings a co-op may override, with their types.
_RESILIENCE_TYPES: Mapping[str, type] = {
    name: kind
    for name, kind in get_type_hints(SoapAdapterSettings).items()
    if name not in _CONNECTION_FIELDS
}


class OfficeKind(StrEnum):
    OFFICE = "office"
    DROP_BOX = "drop_box"  # a payment drop box: pay by check, no staff


@dataclass(frozen=True, slots=True)
class Office:
    """A place members can go to: a staffed office or a payment drop box."""

    name: str
    kind: OfficeKind
    address: str
    latitude: Decimal
    longitude: Decimal
    hours: tuple[str, ...]  # lines of text as members read them, e.g. "Mon-Fri 8 a.m.-5 p.m."
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class CisConnection:
    """Where the co-op's CIS is, the gateway's credentials there, and resilience overrides."""

    url: str
    user_id: str
    password: str = field(repr=False)
    company: str
    app_name: str = "coop-gateway"
    # SoapAdapterSettings field -> value, each checked against the field's type at load.
    resilience: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Cooperative:
    id: str  # a slug, e.g. "custer-prairie"; stored on every row the gateway owns
    name: str
    time_zone: ZoneInfo
    host_names: tuple[str, ...]  # lowercased; requests for these hosts are routed here
    offices: tuple[Office, ...]
    cis: CisConnection
    portal_url: str  # where members log in; e-mails link to it
    payments: PaymentSettings | None = None  # None: the co-op takes no payments here

    def local_date(self, at: datetime) -> date:
        """The co-op's calendar day at the instant ``at``."""
        return at.astimezone(self.time_zone).date()

    def local_time_text(self, at: datetime) -> str:
        """An instant as members read it: "March 3, 2026 at 4:05 PM CST"."""
        return at.astimezone(self.time_zone).strftime("%B %-d, %Y at %-I:%M %p %Z")

    def cis_settings(self) -> SoapAdapterSettings:
        cis = self.cis
        return SoapAdapterSettings(
            url=cis.url,
            user_id=cis.user_id,
            password=cis.password,
            company=cis.company,
            app_name=cis.app_name,
            **cis.resilience,
        )


def load_cooperative(path: Path | str, environ: Mapping[str, str] | None = None) -> Cooperative:
    """Reads and checks one co-op file; ``environ`` (default ``os.environ``) feeds
    ``password_env``. Raises `CooperativeError`."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = tomllib.load(file, parse_float=Decimal)
    except OSError as error:
        raise CooperativeError(f"{path}: cannot read: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise CooperativeError(f"{path}: not valid TOML: {error}") from None
    top = TomlTable(data, path, "")
    top.allow_only(
        "id", "name", "time_zone", "host_names", "offices", "cis", "portal_url", "payments"
    )
    environ = os.environ if environ is None else environ
    host_names = tuple(name.lower() for name in top.host_names("host_names"))
    cooperative = Cooperative(
        id=top.slug("id"),
        name=top.text("name"),
        time_zone=top.time_zone("time_zone"),
        host_names=host_names,
        offices=tuple(_office(table) for table in top.tables("offices")),
        cis=_cis_connection(top.table("cis"), environ),
        portal_url=(
            top.text("portal_url") if "portal_url" in top.data else f"https://{host_names[0]}/"
        ),
        payments=(
            load_payment_settings(top.table("payments"), environ)
            if "payments" in top.data
            else None
        ),
    )
    try:
        cooperative.cis_settings()
    except ValueError as error:
        raise CooperativeError(f"{path}: cis.resilience: {error}") from None
    return cooperative


def _office(table: TomlTable) -> Office:
    table.allow_only("name", "kind", "address", "latitude", "longitude", "phone", "hours")
    kinds = [kind.value for kind in OfficeKind]
    kind = table.text("kind")
    if kind not in kinds:
        raise table.error("kind", f"must be one of {', '.join(kinds)}")
    return Office(
        name=table.text("name"),
        kind=OfficeKind(kind),
        address=table.text("address"),
        latitude=table.coordinate("latitude", 90),
        longitude=table.coordinate("longitude", 180),
        phone=table.text("phone") if "phone" in table.data else None,
        hours=table.lines("hours"),
    )


def _cis_connection(table: TomlTable, environ: Mapping[str, str]) -> CisConnection:
    table.allow_only(*_CONNECTION_FIELDS, "password_env", "resilience")
    if ("password" in table.data) == ("password_env" in table.data):
        raise table.error("password", "give either password or password_env, not both")
    if "password" in table.data:
        password = table.text("password")
    else:
        variable = table.text("password_env")
        password = environ.get(variable, "")
        if not password:
            raise table.error("password_env", f"environment variable {variable} is not set")
    return CisConnection(
        url=table.text("url"),
        user_id=table.text("user_id"),
        password=password,
        company=table.text("company"),
        app_name=table.text("app_name") if "app_name" in table.data else "coop-gateway",
        resilience=MappingProxyType(_resilience(table.table("resilience", required=False))),
    )


def _resilience(table: TomlTable) -> dict[str, int | float]:
    table.allow_only(*_RESILIENCE_TYPES)
    overrides: dict[str, int | float] = {}
    for key, value in table.data.items():
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            raise table.error(key, "must be a number")
        if _RESILIENCE_TYPES[key] is int:
            if not isinstance(value, int):
                raise table.error(key, "must be a whole number")
            overrides[key] = value
        else:
            overrides[key] = float(value)
    return overrides


@dataclass(frozen=True, slots=True)
class Cooperatives:
    """Every co-op this gateway serves, by id and by host name, and the default one."""

    by_id: Mapping[str, Cooperative]
    default: Cooperative

    def for_host(self, host: str) -> Cooperative | None:
        """The co-op a ``Host`` header (port allowed) names, if any."""
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        return next((coop for coop in self.by_id.values() if name.lower() in coop.host_names), None)


def load_cooperatives(paths: Sequence[Path], default_id: str | None = None) -> Cooperatives:
    """Loads every co-op file; ids and host names must not repeat. Raises `CooperativeError`."""
    if not paths:
        raise CooperativeError("no co-op files given")
    by_id: dict[str, Cooperative] = {}
    hosts: dict[str, str] = {}
    for path in paths:
        cooperative = load_cooperative(path)
        if cooperative.id in by_id:
            raise CooperativeError(f"{path}: id: {cooperative.id!r} is used by another file")
        for host in cooperative.host_names:
            if hosts.setdefault(host, cooperative.id) != cooperative.id:
                raise CooperativeError(f"{path}: host_names: {host!r} is {hosts[host]!r}'s")
        by_id[cooperative.id] = cooperative
    default_id = next(iter(by_id)) if default_id is None else default_id
    if default_id not in by_id:
        raise CooperativeError(f"default co-op {default_id!r} is none of {', '.join(by_id)}")
    return Cooperatives(by_id=MappingProxyType(by_id), default=by_id[default_id])
