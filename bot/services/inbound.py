"""At-most-once processing of inbound platform updates (Telegram update_id, Slack event_id)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite

from storage.models import ProcessedUpdate
from storage.uow import UnitOfWork
from storage.upsert import insert_ignore


def claim_inbound(uow: UnitOfWork, *, platform: str, key: str, now: datetime) -> bool:
    """True the first time (platform, key) is seen; a replay or retry gets False and must do nothing."""
    with uow:
        return (
            insert_ignore(
                uow.session,
                ProcessedUpdate,
                [{"platform": platform, "update_key": key[:128], "processed_at": now}],
            )
            == 1
        )


def claim_inbound_many(uow: UnitOfWork, *, platform: str, keys: Sequence[str], now: datetime) -> set[str]:
    """`claim_inbound` for several keys in one statement: the keys claimed now (the others were seen)."""
    if not keys:
        return set()
    table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if uow.dialect == "postgresql" else sqlite.insert
    # One statement with its parameters apart from it, so its compiled form is cached across calls.
    statement = insert(table).on_conflict_do_nothing().returning(table.c.update_key)
    rows = [
        {"platform": platform, "update_key": key[:128], "processed_at": now} for key in dict.fromkeys(keys)
    ]
    with uow:
        return {str(key) for key in uow.session.execute(statement, rows).scalars()}
