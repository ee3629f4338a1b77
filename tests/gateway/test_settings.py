from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gateway.mail import SmtpSecurity, SmtpSettings
from gateway.settings import Settings, SettingsError


def test_defaults_when_nothing_is_set() -> None:
    settings = Settings.from_environ({"PATH": "/usr/bin", "COOP_GATEWAY_PORT": "  "})

    assert settings == Settings()
    assert settings.database_url == "sqlite+aiosqlite:///var/coop-gateway.db"
    assert settings.cooperatives == (Path("config/demo-coop.toml"),)
    assert settings.default_cooperative is None
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.demo_mode is False
    assert settings.session_ttl_web < settings.session_ttl_mobile
    assert settings.session_idle_timeout <= settings.session_ttl_mobile
    assert settings.log_level == "INFO"


def test_every_variable_is_read() -> None:
    settings = Settings.from_environ(
        {
            "COOP_GATEWAY_DATABASE_URL": "postgresql+asyncpg://gw:pw@db.internal:5432/gateway",
            "COOP_GATEWAY_COOPERATIVES": " config/a.toml, /etc/coop/b.toml ",
            "COOP_GATEWAY_DEFAULT_COOPERATIVE": "b-coop",
            "COOP_GATEWAY_HOST": "0.0.0.0",
            "COOP_GATEWAY_PORT": "0",
            "COOP_GATEWAY_WORKERS": "4",
            "COOP_GATEWAY_DEMO_MODE": "Yes",
            "COOP_GATEWAY_SESSION_TTL_WEB": "3600",
            "COOP_GATEWAY_SESSION_TTL_MOBILE": "2592000",
            "COOP_GATEWAY_SESSION_IDLE_TIMEOUT": "900",
            "COOP_GATEWAY_LOG_LEVEL": "debug",
            "COOP_GATEWAY_CIS_BATCHING": "off",
            "COOP_GATEWAY_SMTP_HOST": "smtp.example.coop",
            "COOP_GATEWAY_SMTP_PORT": "587",
            "COOP_GATEWAY_SMTP_SECURITY": "STARTTLS",
            "COOP_GATEWAY_SMTP_USERNAME": "gateway",
            "COOP_GATEWAY_SMTP_PASSWORD": "smtp-secret",
            "COOP_GATEWAY_MAIL_SENDER": "Custer Prairie <no-reply@example.coop>",
        }
    )

    assert settings == Settings(
        database_url="postgresql+asyncpg://gw:pw@db.internal:5432/gateway",
        cooperatives=(Path("config/a.toml"), Path("/etc/coop/b.toml")),
        default_cooperative="b-coop",
        host="0.0.0.0",
        port=0,
        workers=4,
        demo_mode=True,
        session_ttl_web=timedelta(hours=1),
        session_ttl_mobile=timedelta(days=30),
        session_idle_timeout=timedelta(minutes=15),
        log_level="DEBUG",
        cis_batching=False,
        smtp=SmtpSettings(
            host="smtp.example.coop",
            port=587,
            security=SmtpSecurity.STARTTLS,
            username="gateway",
            password="smtp-secret",
            sender="Custer Prairie <no-reply@example.coop>",
        ),
    )


@pytest.mark.parametrize(("text", "expected"), [("off", False), ("0", False), ("TRUE", True)])
def test_booleans(text: str, expected: bool) -> None:
    assert Settings.from_environ({"COOP_GATEWAY_DEMO_MODE": text}).demo_mode is expected


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("DATABASE_URL", "mysql+aiomysql://root@localhost/gw", "unsupported driver 'mysql"),
        ("DATABASE_URL", "sqlite:///var/coop-gateway.db", "unsupported driver 'sqlite'"),
        ("DATABASE_URL", "not a url", "not a database URL"),
        ("COOPERATIVES", "a.toml,,b.toml", "empty path"),
        ("PORT", "80a", "not a whole number"),
        ("PORT", "65536", "0 to 65535"),
        ("WORKERS", "0", "1 or more"),
        ("DEMO_MODE", "maybe", "not a boolean"),
        ("SESSION_TTL_WEB", "12h", "not a whole number"),
        ("SESSION_TTL_MOBILE", "-5", "1 or more"),
        ("SESSION_IDLE_TIMEOUT", "0", "1 or more"),
        ("LOG_LEVEL", "loud", "not a log level"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, why: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environ({f"COOP_GATEWAY_{name}": value})

    message = str(raised.value)
    assert message.startswith(f"COOP_GATEWAY_{name}: ")
    assert why in message


def test_a_bad_database_url_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_environ({"COOP_GATEWAY_DATABASE_URL": "oracle://gw:hunter2@db/gw"})

    assert "hunter2" not in str(raised.value)
