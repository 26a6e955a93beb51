"""Engine creation: SQLite in WAL mode with writers taking the lock up front; PostgreSQL via psycopg 3."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

BUSY_SECONDS = 15
"""How long a writer waits for SQLite's write lock before "database is locked"."""
READ_ONLY = "retention_bot_read_only"
"""Execution option of a connection whose transaction only reads (see UnitOfWork.reading)."""
SQLITE_PRAGMAS = (
    "journal_mode=WAL",
    f"busy_timeout={BUSY_SECONDS * 1000}",
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
        connect_args = {"timeout": BUSY_SECONDS, "check_same_thread": False}
        engine = create_engine(url, echo=echo, connect_args=connect_args)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


class _Writers:
    """This process's SQLite writers, one at a time, queued on a lock instead of in SQLite's busy
    handler, which polls by sleeping (1, 2, 5 … up to 100 ms): the thread that had just committed
    got straight back in while the others slept ever longer, and the lock sat free between their
    tries (tests/services/test_sqlite_writers.py). A writer takes the lock
    at BEGIN IMMEDIATE and gives it back once its COMMIT or ROLLBACK returned, so the next one
    starts the moment it can. Writers in other processes still meet in the busy handler.

    A thread that opens a second write transaction while it holds one (it would wait for itself)
    does not queue: SQLite answers it as before. A writer that waits the whole busy timeout on the
    lock tries once more without waiting, so it fails with SQLite's own "database is locked"."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: Any = None
        self._thread: int | None = None

    def begin(self, conn: Any) -> None:
        raw = conn.connection.dbapi_connection
        if self._thread == threading.get_ident():
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            return
        if not self._lock.acquire(timeout=BUSY_SECONDS):
            conn.exec_driver_sql("PRAGMA busy_timeout = 0")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_SECONDS * 1000}")
            return
        self._holder, self._thread = raw, threading.get_ident()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(raw)
            raise

    def end(self, raw: Any) -> None:
        """The transaction on DB-API connection `raw` ended (or the connection is gone)."""
        raw = getattr(raw, "dbapi_connection", raw)
        if raw is not None and raw is self._holder:
            self._holder = self._thread = None
            self._lock.release()


def _configure_sqlite(engine: Engine) -> None:
    writers = _Writers()

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
        # with "database is locked"; IMMEDIATE waits for the write lock instead (queued in-process,
        # see _Writers). A transaction that only reads needs no lock at all.
        if conn.get_execution_options().get(READ_ONLY, False):
            conn.exec_driver_sql("BEGIN")
        else:
            writers.begin(conn)

    # The lock is given back after the COMMIT/ROLLBACK itself (the "commit" event comes before it):
    # wrap this engine's dialect methods that end a transaction or a connection.
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback", "do_close", "do_terminate"):
        _after(dialect, name, writers.end)


def _after(dialect: Any, name: str, then: Any) -> None:
    done = getattr(dialect, name)

    def wrapped(dbapi_connection: Any) -> None:
        try:
            done(dbapi_connection)
        finally:
            then(dbapi_connection)

    setattr(dialect, name, wrapped)


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
