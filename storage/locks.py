"""Serialising work on one business key (an order id, a phone number) across processes."""

from __future__ import annotations

import hashlib

from sqlalchemy import text

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
