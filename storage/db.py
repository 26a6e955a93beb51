"""Engine creation: SQLite in WAL mode with writers taking the lock up front; PostgreSQL via psycopg 3."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

READ_ONLY = "retention_bot_read_only"
"""Execution option of a connection whose transaction only reads (see UnitOfWork.reading)."""
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    "busy_timeout=15000",
    "foreign_keys=ON",
    "synchronous=NORMAL",
    "secure_delete=ON",  # erased text is overwritten with zeros in the file, not left in free space
)


def normalize_url(url: str) -> str:
    """Accept the `postgresql://` spelling users paste from their host and route it to psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`. SQLite gets the pragmas and BEGIN IMMEDIATE of LIBRARIES.md §5."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 15, "check_same_thread": False})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN (pysqlite recipe)
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads, then writes after another writer committed fails at once
        # with "database is locked"; IMMEDIATE waits for busy_timeout instead. A transaction that
        # only reads needs no lock at all.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def checkpoint_sqlite(engine: Engine) -> bool:
    """Copy SQLite's write-ahead log into the database file and empty it (after an erasure: the log
    still holds the pages as they were written before). Best effort: False if readers kept it from
    finishing (a running bot); SQLite checkpoints on its own as the log grows. PostgreSQL: nothing."""
    if engine.dialect.name != "sqlite":
        return False
    connection = engine.raw_connection()  # outside any transaction: `begin` above would open one
    try:
        cursor = connection.cursor()
        busy, _log, _done = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        connection.close()
    return not busy
