"""Which database the demo may use: its own (`./demo.db`) unless told otherwise, never DATABASE_URL,
and never one holding data the demo did not seed (SPEC §11).

A shop's `.env` names its real database in DATABASE_URL; `make demo` run in that directory must
not seed made-up customers into it or move its jobs' clock. The check runs before any migration,
so a refused database is left exactly as it was.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, literal_column, select, table
from sqlalchemy.engine import make_url
from sqlmodel import col

from bot.services.errors import DomainError
from storage.db import READ_ONLY
from storage.models import AuditLog

DEMO_DATABASE_URL = "sqlite:///./demo.db"
SEED_STARTED = "demo.seed.started"
SEED_MARK = "demo.seed"
"""Audit-log actions the seed (bot/demo/seed.py) writes before its first row and when it is done."""
_SCHEMA_ONLY = frozenset({"alembic_version"})


class NotADemoDatabase(DomainError):
    def __init__(self, url: str, tables: list[str]) -> None:
        shown = ", ".join(tables[:3]) + (", …" if len(tables) > 3 else "")
        super().__init__(
            f"{shown_url(url)} holds data the demo did not seed (rows in {shown}); the demo only uses "
            "its own database: leave out --database-url (it then uses ./demo.db) or name an empty one"
        )
        self.tables = tables


def shown_url(url: str) -> str:
    """The URL as it may be printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def seeded_by_demo(conn: Connection) -> bool:
    """Whether the demo seeded (or began seeding) the database `conn` reads."""
    if not inspect(conn).has_table("audit_log"):
        return False
    query = select(col(AuditLog.id)).where(col(AuditLog.action).in_((SEED_STARTED, SEED_MARK))).limit(1)
    return conn.execute(query).first() is not None


def check_demo_database(engine: Engine, url: str) -> None:
    """Raise NotADemoDatabase unless the database is empty (schema at most) or the demo seeded it.

    Only reads: no table is created, no migration runs.
    """
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        names = sorted(set(inspect(conn).get_table_names()) - _SCHEMA_ONLY)
        if not names or seeded_by_demo(conn):
            return
        holding = [
            name
            for name in names
            if conn.execute(select(literal_column("1")).select_from(table(name)).limit(1)).first()
        ]
    if holding:
        raise NotADemoDatabase(url, holding)
