"""INSERT … ON CONFLICT for both databases: the notification tables lean on unique keys to do
each thing once, whichever worker gets there first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.store.models import Base


def _insert(session: AsyncSession, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def insert_new(session: AsyncSession, model: type[Base], keys: Sequence[str]) -> Insert:
    """An INSERT that skips the rows whose ``keys`` a row already has."""
    return _insert(session, model).on_conflict_do_nothing(index_elements=list(keys))


def insert_or_update(
    session: AsyncSession,
    model: type[Base],
    keys: Sequence[str],
    changes: Mapping[str, Any],
    where: ColumnElement[bool] | None = None,
) -> Insert:
    """An INSERT that, for a row whose ``keys`` exist already, sets ``changes`` instead (if
    that row matches ``where``)."""
    return _insert(session, model).on_conflict_do_update(
        index_elements=list(keys), set_=dict(changes), where=where
    )
