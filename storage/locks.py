"""Serialising work on one business key (an order id, a phone number) across processes."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text

from storage.uow import UnitOfWork


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


_HELD = "retention_bot_held_keys"
"""Session.info entry: the keys this transaction holds already."""


def hold_keys(uow: UnitOfWork, *keys: str) -> None:
    """Until the unit of work ends, nobody else holds any of `keys`.

    PostgreSQL: transaction-scoped advisory locks, taken in sorted order (two callers never wait
    for each other crosswise), in one statement (PostgreSQL evaluates a select list left to
    right); keys this transaction holds already are not asked for again (so not inside a
    savepoint that may roll back: that would let go of them). SQLite needs nothing:
    every writing transaction starts with BEGIN IMMEDIATE, so writers run one at a time.
    """
    if uow.dialect != "postgresql":
        return
    held: set[str] = uow.session.info.setdefault(_HELD, set())
    wanted = sorted(set(keys) - held)
    if not wanted:
        return
    calls = ", ".join(f"pg_advisory_xact_lock(:k{n})" for n in range(len(wanted)))
    uow.session.execute(text(f"SELECT {calls}"), {f"k{n}": _lock_id(key) for n, key in enumerate(wanted)})
    held.update(wanted)


class HeldElsewhere(RuntimeError):
    """Another process holds the process-wide lock."""


@contextmanager
def hold_for_process(engine: Engine, key: str) -> Iterator[None]:
    """Hold `key` for as long as the block runs, across processes on one database, without waiting:
    HeldElsewhere at once when another process holds it. A process that dies releases it.

    PostgreSQL: a session-level advisory lock on a connection kept open for the block. SQLite: an
    exclusive `flock` on a file beside the database (`retention.db.<key>.lock`); an in-memory
    database is one process's own, so nothing is needed.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            held = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _lock_id(key)}).scalar()
            connection.commit()
            if not held:
                raise HeldElsewhere(key)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection has released it already
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_id(key)})
                    connection.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        yield
        return
    path = Path(database).with_name(f"{Path(database).name}.{key}.lock")
    with path.open("a") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise HeldElsewhere(key) from None
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)
