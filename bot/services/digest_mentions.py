"""Which customers each posted digest message named, so that forgetting one redacts them from the
digests already in the channel (SPEC §10).

The Slack part records a message's mentions each time it posts or updates it: the customers and the
fingerprints of the lines naming them. An erasure queues each digest message naming the person (a
`slack_erasure` row of scope `digest`, reopened if an earlier erasure finished it); the Slack part
then replaces the erased customers' lines in it and forgets their mentions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.services.slack_erasures import DIGEST, PENDING, SlackMessageRef, queue_slack_erasures
from storage.models import Customer, DigestMention, SlackErasure
from storage.uow import UnitOfWork


def record_digest_mentions(
    uow: UnitOfWork, now: datetime, *, channel: str, ts: str, mentions: Mapping[int, Sequence[str]]
) -> None:
    """The message (channel, ts) now names these customers (id → fingerprints of their lines). A
    customer erased while the digest was being built is queued for redaction at once."""
    with uow:
        session = uow.session
        session.execute(
            delete(DigestMention)
            .where(col(DigestMention.channel) == channel, col(DigestMention.ts) == ts)
            .execution_options(synchronize_session=False)
        )
        for customer_id, lines in mentions.items():
            session.add(
                DigestMention(
                    channel=channel, ts=ts, customer_id=customer_id, lines=" ".join(lines), created_at=now
                )
            )
        erased = session.exec(
            select(Customer.id).where(
                col(Customer.id).in_(list(mentions)), col(Customer.erased_at).is_not(None)
            )
        ).first()
        if erased is not None:
            queue_digest_redactions(session, now, [SlackMessageRef(channel, ts, DIGEST)])


def digest_messages_about(session: Session, customer_ids: Sequence[int]) -> list[SlackMessageRef]:
    rows = session.exec(
        select(DigestMention.channel, DigestMention.ts)
        .where(col(DigestMention.customer_id).in_(customer_ids))
        .distinct()
    ).all()
    return [SlackMessageRef(channel, ts, DIGEST) for channel, ts in rows]


def queue_digest_redactions(session: Session, now: datetime, refs: Sequence[SlackMessageRef]) -> int:
    """Queue the digest messages, due now: also one an earlier erasure finished, or is working on
    right now (it names someone else now erased; a worker that finds its row due again when it
    finishes leaves it pending, bot/services/slack_erasures.py). How many were queued."""
    queue_slack_erasures(session, now, refs)
    queued = 0
    for ref in refs:
        due = session.execute(
            update(SlackErasure)
            .where(
                col(SlackErasure.channel) == ref.channel,
                col(SlackErasure.ts) == ref.ts,
                col(SlackErasure.scope) == DIGEST,
            )
            .values(status=PENDING, attempts=0, next_attempt_at=now, last_error=None, done_at=None)
            .execution_options(synchronize_session=False)
        )
        queued += due.rowcount  # type: ignore[attr-defined]
    return queued


def erased_mentions(uow: UnitOfWork, *, channel: str, ts: str) -> dict[int, set[str]]:
    """The erased customers the message names, each with the fingerprints of their lines."""
    with uow.reading():
        rows = uow.session.exec(
            select(DigestMention.customer_id, DigestMention.lines)
            .join(Customer, col(Customer.id) == col(DigestMention.customer_id))
            .where(
                col(DigestMention.channel) == channel,
                col(DigestMention.ts) == ts,
                col(Customer.erased_at).is_not(None),
            )
        ).all()
        return {customer_id: set(lines.split()) for customer_id, lines in rows}


def forget_mentions(uow: UnitOfWork, *, channel: str, ts: str, customer_ids: Sequence[int]) -> None:
    """The customers were redacted from the message: nothing more to find them by."""
    with uow:
        uow.session.execute(
            delete(DigestMention)
            .where(
                col(DigestMention.channel) == channel,
                col(DigestMention.ts) == ts,
                col(DigestMention.customer_id).in_(list(customer_ids)),
            )
            .execution_options(synchronize_session=False)
        )
