from __future__ import annotations

from tests.gateway.databases import sqlite_unless_asked

# SQLite, unless a test asks for a backend (as the test of creates at once does): the usage
# features ask nothing else of the database that differs on PostgreSQL (the migration tests
# build their table on both).
database_url = sqlite_unless_asked
