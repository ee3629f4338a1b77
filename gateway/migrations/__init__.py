"""The gateway's Alembic migrations; run them with ``coop-gateway db upgrade``."""
