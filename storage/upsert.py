"""INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL: the primitive behind every "exactly once"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def insert_ignore(session: Session, table: type[SQLModel], rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert the rows whose keys are free; returns how many were inserted (0 means all were taken)."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table.__table__).values(list(rows)).on_conflict_do_nothing()  # type: ignore[attr-defined]
    result = session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
