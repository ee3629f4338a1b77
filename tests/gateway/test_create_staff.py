"""``coop-gateway users create-staff``: a staff login with a temporary password, shown once."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from gateway.auth.passwords import verify_password
from gateway.store.database import create_engine, session_factory
from gateway.store.migrate import upgrade
from gateway.store.models import Role, User
from tests.cli_process import coop_gateway
from tests.gateway.databases import sqlite_url
from tests.schema.harness import REPO

PASSWORD_LINE = re.compile(r"^Temporary password: (\S+)$", re.MULTILINE)


def users_command(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        "COOP_GATEWAY_COOPERATIVES": str(REPO / "config" / "demo-coop.toml"),
        "COOP_GATEWAY_DATABASE_URL": "sqlite+aiosqlite:///elsewhere.db",
    }
    return coop_gateway(["users", *arguments], cwd=cwd, env=environment)


async def test_create_staff_prints_a_temporary_password_once(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    engine = create_engine(url)
    try:
        await upgrade(engine)
        before = datetime.now(UTC)

        created = users_command(
            "create-staff", " Lineman@Example.COOP ", "--database-url", url, cwd=tmp_path
        )
        assert created.returncode == 0, created.stderr
        passwords = PASSWORD_LINE.findall(created.stdout)
        assert len(passwords) == 1
        [password] = passwords
        assert created.stdout.count(password) == 1
        assert "must be changed at first login, within 24 hours" in created.stdout
        assert password not in created.stderr

        async with session_factory(engine)() as session:
            user = await session.scalar(select(User))
        assert user is not None
        assert (user.cooperative_id, user.email, user.role) == (
            "custer-prairie",
            "lineman@example.coop",
            Role.STAFF,
        )
        assert user.must_change_password is True
        assert user.temporary_password_expires_at is not None
        lifetime = user.temporary_password_expires_at - before
        assert timedelta(hours=24) <= lifetime < timedelta(hours=24, minutes=1)
        assert await verify_password(user.password_hash, password)

        again = users_command(
            "create-staff", "lineman@example.coop", "--database-url", url, cwd=tmp_path
        )
        assert again.returncode == 1
        assert "lineman@example.coop already has a login at co-op custer-prairie" in again.stderr
        assert "Temporary password" not in again.stdout
        assert not (tmp_path / "elsewhere.db").exists()  # --database-url wins
    finally:
        await engine.dispose()


def test_create_staff_refuses_a_co_op_it_does_not_serve(tmp_path: Path) -> None:
    refused = users_command(
        "create-staff", "a@example.coop", "--cooperative", "elsewhere", cwd=tmp_path
    )
    assert refused.returncode == 1
    assert "no co-op 'elsewhere'" in refused.stderr
    assert refused.stdout == ""


def test_create_staff_needs_a_migrated_database(tmp_path: Path) -> None:
    refused = users_command(
        "create-staff", "a@example.coop", "--database-url", sqlite_url(tmp_path), cwd=tmp_path
    )
    assert refused.returncode == 1
    assert "coop-gateway db upgrade" in refused.stderr
