"""Slack messages about erased customers, still to be edited to "erased": durable rows the Slack part
claims, works through and marks (the domain never calls Slack itself).

An erasure writes the rows in its own transaction: each alert (its thread is the conversation with the
customer) and each Slack message a staff member logged as one of the customer's interactions. A
worker claims a due row by moving `next_attempt_at` a lease ahead (so two instances, or the CLI and a
running bot, do not both work on it); a failure moves it to the next try (1, 2, 4 … minutes, at most
an hour apart) until MAX_ATTEMPTS, after which it is given up and logged with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.clock import Clock
from storage.models import Interaction, SlackErasure, Ticket
from storage.uow import UnitOfWork
from storage.upsert import insert_ignore

THREAD, MESSAGE, DIGEST = "thread", "message", "digest"
"""Scopes: an alert and its thread; one logged message; a digest message (its thread: "see all"), in
which only the erased customers' lines are replaced."""
PENDING, DONE, GAVE_UP = "pending", "done", "gave_up"
MAX_ATTEMPTS: Final = 12
"""About ten hours of tries (1, 2, 4 … 60 minutes apart) before a row is given up."""
LOGGED_MESSAGE = "slack-message:"
"""Prefix of the source_event_id of an interaction logged from a Slack message (the shortcut)."""


@dataclass(frozen=True)
class SlackMessageRef:
    channel: str
    ts: str
    scope: str


@dataclass(frozen=True)
class ErasureTask:
    """A claimed row: edit this message (and, for a thread, its replies), then mark it."""

    id: int
    channel: str
    ts: str
    scope: str
    attempts: int


def slack_messages_about(session: Session, customer_ids: Sequence[int]) -> list[SlackMessageRef]:
    """The Slack messages that are about these customers: their alerts (with the threads) and the
    messages staff logged as their interactions."""
    refs = [
        SlackMessageRef(channel, ts, THREAD)
        for channel, ts in session.exec(
            select(Ticket.slack_channel, Ticket.slack_ts).where(
                col(Ticket.customer_id).in_(customer_ids), col(Ticket.slack_ts).is_not(None)
            )
        ).all()
        if channel and ts
    ]
    for source in session.exec(
        select(Interaction.source_event_id).where(
            col(Interaction.customer_id).in_(customer_ids),
            col(Interaction.source_event_id).startswith(LOGGED_MESSAGE),
        )
    ).all():
        # slack-message:{channel}:{ts}:{customer id}
        parts = (source or "").split(":")
        if len(parts) >= 3 and parts[1] and parts[2]:
            refs.append(SlackMessageRef(parts[1], parts[2], MESSAGE))
    return refs


def queue_slack_erasures(session: Session, now: datetime, refs: Iterable[SlackMessageRef]) -> int:
    """Queue the messages (a message already queued stays as it is); how many were new."""
    rows = {
        (r.channel, r.ts): {
            "channel": r.channel[:32],
            "ts": r.ts[:32],
            "scope": r.scope,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for r in refs
    }
    return insert_ignore(session, SlackErasure, list(rows.values()))


def _due(now: datetime) -> Any:
    return select(SlackErasure.id).where(
        col(SlackErasure.status) == PENDING, col(SlackErasure.next_attempt_at) <= now
    )


def claim_slack_erasures(
    uow: UnitOfWork, clock: Clock, *, lease: timedelta, limit: int = 20
) -> list[ErasureTask]:
    """Due rows, each claimed for `lease` (a row another worker claimed is skipped)."""
    now = clock.now()
    claimed: list[ErasureTask] = []
    with uow.reading():  # the usual answer is "nothing": no write lock for it
        if uow.session.exec(_due(now).limit(1)).first() is None:
            return claimed
    with uow:
        due = uow.session.exec(
            select(SlackErasure)
            .where(col(SlackErasure.status) == PENDING, col(SlackErasure.next_attempt_at) <= now)
            .order_by(col(SlackErasure.next_attempt_at), col(SlackErasure.id))
            .limit(limit)
        ).all()
        for row in due:
            taken = uow.session.execute(
                update(SlackErasure)
                .where(
                    col(SlackErasure.id) == row.id,
                    col(SlackErasure.status) == PENDING,
                    col(SlackErasure.next_attempt_at) == row.next_attempt_at,
                )
                .values(next_attempt_at=now + lease)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount and row.id is not None:  # type: ignore[attr-defined]
                claimed.append(ErasureTask(row.id, row.channel, row.ts, row.scope, row.attempts))
    return claimed


def finish_slack_erasure(uow: UnitOfWork, clock: Clock, task_id: int) -> None:
    """Mark the claimed row done; a digest row queued again while it was worked on (its lease
    replaced by "due now": another customer it names was erased meanwhile) stays pending."""
    now = clock.now()
    with uow:
        uow.session.execute(
            update(SlackErasure)
            .where(
                col(SlackErasure.id) == task_id,
                (col(SlackErasure.scope) != DIGEST) | (col(SlackErasure.next_attempt_at) > now),
            )
            .values(status=DONE, done_at=now, last_error=None)
        )


def retry_slack_erasure(uow: UnitOfWork, clock: Clock, task_id: int, error: str) -> bool:
    """Record a failed try: True if it will be tried again, False if it was given up now."""
    now = clock.now()
    with uow:
        row = uow.session.get(SlackErasure, task_id)
        if row is None or row.status != PENDING:
            return False
        row.attempts += 1
        row.last_error = error[:200]
        if row.attempts >= MAX_ATTEMPTS:
            row.status, row.done_at = GAVE_UP, now
        else:
            row.next_attempt_at = now + min(timedelta(minutes=2 ** (row.attempts - 1)), timedelta(hours=1))
        uow.session.add(row)
        return row.status == PENDING


def pending_slack_erasures(uow: UnitOfWork) -> int:
    """Queued messages not edited yet."""
    with uow.reading():
        return len(uow.session.exec(select(SlackErasure.id).where(SlackErasure.status == PENDING)).all())
