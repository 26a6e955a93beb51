"""At-most-once processing of inbound platform updates (Telegram update_id, Slack event_id)."""

from __future__ import annotations

from datetime import datetime

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
