"""Serialising work on one business key (an order id, a phone number) across processes."""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from storage.uow import UnitOfWork


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def hold_keys(uow: UnitOfWork, *keys: str) -> None:
    """Until the unit of work ends, nobody else holds any of `keys`.

    PostgreSQL: transaction-scoped advisory locks, taken in sorted order (two callers never wait
    for each other crosswise; taking a key twice in one transaction is fine). SQLite needs
    nothing: every writing transaction starts with BEGIN IMMEDIATE, so writers run one at a time.
    """
    if uow.dialect != "postgresql":
        return
    for key in sorted(set(keys)):
        uow.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _lock_id(key)})
