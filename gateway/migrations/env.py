"""Alembic's entry point. `gateway.store.migrate` calls Alembic with an open connection of the
async engine (taken over ``run_sync``), so the migrations run on either database's driver."""

from alembic import context
from sqlalchemy.engine import Connection

from gateway.store.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if not isinstance(_connection, Connection):
    raise RuntimeError("run the migrations with `coop-gateway db upgrade`")
run_migrations(_connection)
