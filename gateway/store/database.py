"""Engines and sessions on the gateway's own database: SQLite or PostgreSQL, always async."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from gateway.store.migrate import current_revision, head_revision


def create_engine(url: str | URL) -> AsyncEngine:
    """An async engine; a SQLite file's folder is created, and SQLite connections enforce
    foreign keys (the cascades rely on them) and use write-ahead logging."""
    url = make_url(url)
    # Statement parameters (password and token hashes among them) stay out of error texts.
    if url.get_backend_name() != "sqlite":
        return _create_async_engine(url, pool_pre_ping=True, hide_parameters=True)
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = _create_async_engine(url, hide_parameters=True)
    event.listen(engine.sync_engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: object, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets readers go on while one writes; NORMAL is durable across process crashes.
    for pragma in ("foreign_keys = ON", "journal_mode = WAL", "synchronous = NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: a request reads them after its transaction ends.
    return async_sessionmaker(engine, expire_on_commit=False)


async def schema_is_current(engine: AsyncEngine) -> bool:
    """Whether the database is migrated to the newest revision this code ships."""
    return await current_revision(engine) == head_revision()
