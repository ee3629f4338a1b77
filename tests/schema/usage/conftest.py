from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.gateway.databases import fresh_database_url


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """SQLite, unless a test asks for a backend (indirectly, as the test of creates at once
    does): the usage features ask nothing else of the database that differs on PostgreSQL
    (the migration tests build their table on both)."""
    async with fresh_database_url(getattr(request, "param", "sqlite"), tmp_path) as url:
        yield url
