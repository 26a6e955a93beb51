"""Exactly-once effects of inbound platform updates (Telegram update_id, Slack event_id): a claim
committed with the effect (here for a service that claims its own key, storage/inbound_claim.py
for the claim a request carries to its first effect), and forgetting those claims once no replay
can bring the update back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select, tuple_

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
