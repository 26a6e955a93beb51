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
    sa_table = table.__table__  # type: ignore[attr-defined]
    statement = insert(sa_table).values(list(rows)).on_conflict_do_nothing()
    # Count through RETURNING: rowcount of a multi-row insert is not reliable across drivers.
    inserted = session.execute(statement.returning(*sa_table.primary_key.columns)).all()
    return len(inserted)
