from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from gateway.store.database import create_engine, schema_is_current
from gateway.store.migrate import current_revision, head_revision, upgrade
from gateway.store.models import Base
from tests.cli_process import coop_gateway


async def test_upgrade_brings_an_empty_database_to_head(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) is None
        assert await schema_is_current(engine) is False

        await upgrade(engine)
        assert await schema_is_current(engine) is True
        assert await current_revision(engine) == head_revision()

        await upgrade(engine)  # nothing left to do, and no harm in asking
        assert await schema_is_current(engine) is True
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert set(tables) == {
            "alembic_version",
            "users",
            "user_accounts",
            "sessions",
            "access_tokens",
            "one_time_tokens",
            "recovery_codes",
            "audit_events",
            "payment_methods",
            "payments",
            "payment_allocations",
            "autopay_enrollments",
            "autopay_drafts",
            "usage_markers",
            "notification_contacts",
            "notification_codes",
            "notification_preferences",
            "notification_settings",
            "notification_log",
            "notification_deliveries",
            "notification_jobs",
        }
    finally:
        await engine.dispose()


async def test_identity_upgrades_a_database_made_by_the_first_migration(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine, "0001")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO users (cooperative_id, email, password_hash, role, created_at)"
                    " VALUES ('coop', 'old@example.coop', 'hash', 'MEMBER', :now)"
                ),
                {"now": datetime(2026, 1, 1, tzinfo=UTC)},
            )
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT email, password_hash, must_change_password, failed_logins,"
                        " pass_phrase_hash, totp_secret FROM users"
                    )
                )
            ).one()
        # The member keeps their login and password, and is asked for nothing new.
        assert tuple(row) == ("old@example.coop", "hash", False, 0, None, None)
    finally:
        await engine.dispose()


async def test_payments_and_what_points_at_them_survive_later_migrations(
    database_url: str,
) -> None:
    """0004 rebuilds ``payments`` on SQLite: its allocations and drafts must stay."""
    engine = create_engine(database_url)
    now = {"now": datetime(2026, 1, 1, tzinfo=UTC)}
    try:
        await upgrade(engine, "0003")
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO users (id, cooperative_id, email, password_hash, role, created_at,"
                " must_change_password, failed_logins)"
                " VALUES (1, 'coop', 'payer@example.coop', 'hash', 'MEMBER', :now, false, 0)",
                "INSERT INTO payments (id, cooperative_id, user_id, idempotency_key, request_hash,"
                " reference, method_token, method_kind, method_description, channel, amount, fee,"
                " state, created_at, updated_at, next_attempt_at, attempts)"
                " VALUES (1, 'coop', 1, 'key', 'hash', 'CP-1', 'tok', 'CARD', 'VISA 4242', 'Web',"
                " 1000, 0, 'POSTED', :now, :now, :now, 0)",
                "INSERT INTO payment_allocations (payment_id, position, account_number, amount,"
                " external_reference) VALUES (1, 1, '90000101', 1000, 'CP-1-1')",
                "INSERT INTO autopay_drafts (cooperative_id, account_number, bill_id, user_id,"
                " due_date, draft_on, state, payment_id)"
                " VALUES ('coop', '90000101', 'B1', 1, '2026-01-20', '2026-01-20', 'DRAFTED', 1)",
            ):
                await connection.execute(text(statement), now)
        await upgrade(engine)
        async with engine.connect() as connection:
            kept = await connection.execute(
                text(
                    "SELECT a.external_reference, a.refusal, d.bill_id, p.state FROM payments p"
                    " JOIN payment_allocations a ON a.payment_id = p.id"
                    " JOIN autopay_drafts d ON d.payment_id = p.id"
                )
            )
            assert [tuple(row) for row in kept] == [("CP-1-1", None, "B1", "POSTED")]
    finally:
        await engine.dispose()


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_the_migrations_build_what_the_models_describe(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()


def db_command(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {"COOP_GATEWAY_DATABASE_URL": "sqlite+aiosqlite:///elsewhere.db"}
    return coop_gateway(["db", *arguments], cwd=cwd, env=environment)


def test_the_db_commands_work_from_any_folder(database_url: str, tmp_path: Path) -> None:
    url = ["--database-url", database_url]

    before = db_command("current", *url, cwd=tmp_path)
    assert before.returncode == 1, before.stderr
    assert "none" in before.stdout
    assert "coop-gateway db upgrade" in before.stdout

    upgraded = db_command("upgrade", *url, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"revision {head_revision()} (head)" in upgraded.stdout

    after = db_command("current", *url, cwd=tmp_path)
    assert (after.returncode, after.stdout) == (0, f"{head_revision()} (head)\n")
    assert not (tmp_path / "elsewhere.db").exists()  # --database-url wins over the environment


def test_the_db_commands_refuse_a_bad_url(tmp_path: Path) -> None:
    refused = db_command("upgrade", "--database-url", "mysql://root@localhost/gw", cwd=tmp_path)

    assert refused.returncode == 2
    assert "unsupported driver 'mysql'" in refused.stderr
    assert "Traceback" not in refused.stderr
