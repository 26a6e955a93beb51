"""At-most-once processing of inbound platform updates (Telegram update_id, Slack event_id), and
forgetting those claims once no replay can bring the update back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from storage.inbound_claim import InboundClaim, InboundReplayed, carrying, current_claim, set_claim
from storage.models import ProcessedUpdate
from storage.uow import UnitOfWork
from storage.upsert import insert_ignore

__all__ = [
    "FORGET_BATCH",
    "REPLAY_GUARDS",
    "REPLAY_WINDOW",
    "InboundClaim",
    "InboundReplayed",
    "carrying",
    "claim_inbound",
    "claim_inbound_many",
    "current_claim",
    "forget_replay_guards",
    "set_claim",
]
"""The claim an update's handlers carry to its first effect is storage/inbound_claim.py's; the
adapters take it from here."""

REPLAY_WINDOW: Final = timedelta(days=3)
"""How long the claim of a Telegram update or Slack event is kept. Telegram redelivers an update
for at most 24 hours, Slack retries an event within minutes; three days also covers a weekend's
doubt, and stays under the week of silence after which Telegram restarts update ids at random
(an old claim could then swallow a new update)."""
REPLAY_GUARDS: Final = ("telegram", "slack", "shopify")
"""The platforms whose rows only stop replays and double clicks (Shopify redelivers a webhook for
at most 48 hours; a later repeat still finds its order or refund recorded and changes nothing).
The other rows of the table are claims with a life of their own (a ticket's alert post, a job's
give-up report, a digest's "see all") and are kept."""
FORGET_BATCH: Final = 5000
"""Rows deleted per transaction, so a first clean-up of a large table never holds SQLite's writer
lock for long."""


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


def forget_replay_guards(uow: UnitOfWork, *, before: datetime, limit: int = FORGET_BATCH) -> int:
    """Delete up to `limit` replay guards claimed before `before`; how many went (fewer: done)."""
    table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
    oldest = (
        select(table.c.platform, table.c.update_key)
        .where(table.c.platform.in_(REPLAY_GUARDS), table.c.processed_at < before)
        .limit(limit)
    )
    with uow:
        gone = uow.session.execute(
            delete(table).where(tuple_(table.c.platform, table.c.update_key).in_(oldest))
        )
        return int(gone.rowcount)  # type: ignore[attr-defined]
