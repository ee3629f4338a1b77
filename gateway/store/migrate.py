"""Alembic, driven from code: the migrations ship inside the package, no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import gateway.migrations

MIGRATIONS_FOLDER = Path(gateway.migrations.__file__).parent


def alembic_config() -> Config:
    config = Config()
    # ConfigParser interpolates "%": a folder name with one must be escaped.
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER).replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS_FOLDER}")
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision; None when it was never migrated."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current_revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrates the database to ``revision``, in one transaction where the database can."""
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the old one, and with foreign
            # keys on that drop deletes (cascades) or refuses the rows pointing at it. The
            # pragma only takes effect outside a transaction; the keys are checked after.
            await connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            await connection.commit()
        try:
            async with connection.begin():
                await connection.run_sync(_upgrade, revision)
                if sqlite:
                    await _check_foreign_keys(connection)
        finally:
            if sqlite:
                await connection.exec_driver_sql("PRAGMA foreign_keys = ON")
                await connection.commit()


async def _check_foreign_keys(connection: AsyncConnection) -> None:
    broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
    if broken:
        raise RuntimeError(f"the migration left rows with broken foreign keys: {broken[:5]}")


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection  # env.py runs the migrations on it
    command.upgrade(config, revision)
