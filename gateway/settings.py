"""The gateway's process settings, read from ``COOP_GATEWAY_*`` environment variables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import TypeVar

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway.mail import SmtpSecurity, SmtpSettings

PREFIX = "COOP_GATEWAY_"
SUPPORTED_DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")

T = TypeVar("T")


class SettingsError(ValueError):
    """An environment variable holds a value the gateway cannot use; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Settings of one gateway process. Every variable is optional.

    | Variable | Default | Meaning |
    |---|---|---|
    | `COOP_GATEWAY_DATABASE_URL` | `sqlite+aiosqlite:///var/coop-gateway.db` | The gateway's own store: `sqlite+aiosqlite:///path` or `postgresql+asyncpg://user@host/db` |
    | `COOP_GATEWAY_COOPERATIVES` | `config/demo-coop.toml` | Comma-separated paths of the co-ops' TOML files |
    | `COOP_GATEWAY_DEFAULT_COOPERATIVE` | the first co-op's id | Co-op serving requests no host name or `X-Cooperative` header routes |
    | `COOP_GATEWAY_HOST` | `127.0.0.1` | Address `serve` listens on |
    | `COOP_GATEWAY_PORT` | `8000` | Port `serve` listens on (0 picks a free one) |
    | `COOP_GATEWAY_WORKERS` | `1` | Worker processes of `serve` |
    | `COOP_GATEWAY_DEMO_MODE` | `false` | `true` allows the demo logins; never in production |
    | `COOP_GATEWAY_SESSION_TTL_WEB` | `43200` (12 hours) | Seconds a browser session lasts at most |
    | `COOP_GATEWAY_SESSION_TTL_MOBILE` | `7776000` (90 days) | Seconds a mobile-app session lasts at most |
    | `COOP_GATEWAY_SESSION_IDLE_TIMEOUT` | `1209600` (14 days) | Seconds of disuse after which any session ends |
    | `COOP_GATEWAY_ATTEMPTS_PER_MINUTE` | `30` | Logins, sign-ups and password resets each allowed per client address per minute (per process) |
    | `COOP_GATEWAY_LOG_LEVEL` | `INFO` | `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL` |
    | `COOP_GATEWAY_SMTP_HOST` | `127.0.0.1` | SMTP server for e-mail to members |
    | `COOP_GATEWAY_SMTP_PORT` | `8025` (the demo's mail sink) | Its port: usually 587 with `starttls`, 465 with `tls` |
    | `COOP_GATEWAY_SMTP_SECURITY` | `none` | `starttls`, `tls`, or `none` (plain SMTP: a relay on the same host only) |
    | `COOP_GATEWAY_SMTP_USERNAME` | none | SMTP login, if the server asks for one |
    | `COOP_GATEWAY_SMTP_PASSWORD` | none | Its password (never logged) |
    | `COOP_GATEWAY_MAIL_SENDER` | `Co-op Gateway <no-reply@localhost>` | The From of every message |
    | `COOP_GATEWAY_OUTAGE_POLL_SECONDS` | `10` | How often the gateway asks the CIS what changed in its outages, for all subscriptions of a process together (fractions allowed) |
    | `COOP_GATEWAY_CIS_BATCHING` | `true` | `false` sends each CIS key in a call of its own: a diagnostic switch for measuring what batching saves (`bench/dashboard.py`); never in production |

    Booleans take `true`/`false`, `yes`/`no`, `on`/`off` or `1`/`0`.
    """  # noqa: E501 - a Markdown table is pasted into the README as is

    database_url: str = "sqlite+aiosqlite:///var/coop-gateway.db"
    cooperatives: tuple[Path, ...] = (Path("config/demo-coop.toml"),)
    default_cooperative: str | None = None  # None: the first of ``cooperatives``
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    demo_mode: bool = False
    session_ttl_web: timedelta = timedelta(hours=12)
    session_ttl_mobile: timedelta = timedelta(days=90)
    session_idle_timeout: timedelta = timedelta(days=14)
    attempts_per_minute: int = 30
    log_level: str = "INFO"
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    cis_batching: bool = True
    outage_poll_interval: timedelta = timedelta(seconds=10)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Reads the settings; raises `SettingsError` naming the first variable that is wrong."""
        defaults = cls()

        def read(name: str, parse: Callable[[str], T], default: T) -> T:
            variable = PREFIX + name
            text = environ.get(variable)
            if text is None or not text.strip():
                return default
            try:
                return parse(text.strip())
            except ValueError as error:
                # A database URL may carry a password: it is never echoed.
                shown = "" if name == "DATABASE_URL" else f" (got {text!r})"
                raise SettingsError(f"{variable}: {error}{shown}") from None

        return cls(
            database_url=read("DATABASE_URL", parse_database_url, defaults.database_url),
            cooperatives=read("COOPERATIVES", _paths, defaults.cooperatives),
            default_cooperative=read("DEFAULT_COOPERATIVE", str, defaults.default_cooperative),
            host=read("HOST", str, defaults.host),
            port=read("PORT", _port, defaults.port),
            workers=read("WORKERS", _positive_int, defaults.workers),
            demo_mode=read("DEMO_MODE", _boolean, defaults.demo_mode),
            session_ttl_web=read("SESSION_TTL_WEB", _seconds, defaults.session_ttl_web),
            session_ttl_mobile=read("SESSION_TTL_MOBILE", _seconds, defaults.session_ttl_mobile),
            session_idle_timeout=read(
                "SESSION_IDLE_TIMEOUT", _seconds, defaults.session_idle_timeout
            ),
            log_level=read("LOG_LEVEL", _log_level, defaults.log_level),
            attempts_per_minute=read(
                "ATTEMPTS_PER_MINUTE", _positive_int, defaults.attempts_per_minute
            ),
            smtp=SmtpSettings(
                host=read("SMTP_HOST", str, defaults.smtp.host),
                port=read("SMTP_PORT", _port, defaults.smtp.port),
                security=read("SMTP_SECURITY", _smtp_security, defaults.smtp.security),
                username=read("SMTP_USERNAME", str, defaults.smtp.username),
                password=read("SMTP_PASSWORD", str, defaults.smtp.password),
                sender=read("MAIL_SENDER", _mail_address, defaults.smtp.sender),
            ),
            cis_batching=read("CIS_BATCHING", _boolean, defaults.cis_batching),
            outage_poll_interval=read(
                "OUTAGE_POLL_SECONDS", _interval, defaults.outage_poll_interval
            ),
        )


def parse_database_url(text: str) -> str:
    """Checks a database URL names a supported async driver; raises ValueError."""
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError("not a database URL") from None
    if url.drivername not in SUPPORTED_DATABASE_DRIVERS:
        supported = " or ".join(f"{driver}://" for driver in SUPPORTED_DATABASE_DRIVERS)
        raise ValueError(f"unsupported driver {url.drivername!r}; use {supported}")
    return text


def _paths(text: str) -> tuple[Path, ...]:
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise ValueError("an empty path in the comma-separated list")
    return tuple(Path(part) for part in parts)


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("not a whole number") from None


def _positive_int(text: str) -> int:
    number = _integer(text)
    if number < 1:
        raise ValueError("must be 1 or more")
    return number


def _port(text: str) -> int:
    number = _integer(text)
    if not 0 <= number <= 65535:
        raise ValueError("a port is 0 to 65535")
    return number


def _seconds(text: str) -> timedelta:
    return timedelta(seconds=_positive_int(text))


def _interval(text: str) -> timedelta:
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError("not a number of seconds") from None
    if not 0.1 <= seconds <= 3600:
        raise ValueError("must be between 0.1 and 3600 seconds")
    return timedelta(seconds=seconds)


def _boolean(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError("not a boolean; use true or false")


def _smtp_security(text: str) -> SmtpSecurity:
    try:
        return SmtpSecurity(text.lower())
    except ValueError:
        choices = ", ".join(security.value for security in SmtpSecurity)
        raise ValueError(f"not an SMTP security; use one of {choices}") from None


def _mail_address(text: str) -> str:
    _name, address = parseaddr(text)
    if "@" not in address:
        raise ValueError("not an e-mail address (like 'Name <no-reply@example.coop>')")
    return text


def _log_level(text: str) -> str:
    if text.upper() not in LOG_LEVELS:
        raise ValueError(f"not a log level; use one of {', '.join(LOG_LEVELS)}")
    return text.upper()
