from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.gateway.databases import fresh_database_url


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """SQLite only: the usage features ask nothing of the database that differs on PostgreSQL
    (the migration tests build their table on both)."""
    async with fresh_database_url("sqlite", tmp_path) as url:
        yield url
