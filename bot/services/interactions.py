"""The customer timeline: every call, visit, message and note, with a sentiment score."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select

from bot.clock import Clock
from bot.text.sentiment import score_sentiment
from storage.models import Interaction
from storage.uow import UnitOfWork

CHANNELS = ("telegram", "slack", "phone", "visit", "email", "note", "system")
MAX_TEXT = 10000


def log_interaction(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    channel: str,
    direction: str,
    kind: str,
    text: str = "",
    staff_id: int | None = None,
    bot_initiated: bool = False,
    source_event_id: str | None = None,
    score: bool = True,
) -> tuple[Interaction, bool]:
    """Append to the timeline once per source event (second value: newly logged?)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    with uow:
        if source_event_id is not None:
            existing = uow.session.exec(
                select(Interaction).where(Interaction.source_event_id == source_event_id)
            ).first()
            if existing is not None:
                return existing, False
        sentiment = score_sentiment(text) if score and text else None
        interaction = Interaction(
            customer_id=customer_id,
            channel=channel,
            direction=direction,
            kind=kind,
            text=text[:MAX_TEXT],
            sentiment=sentiment.score if sentiment else None,
            sentiment_method=sentiment.method if sentiment else None,
            staff_id=staff_id,
            bot_initiated=bot_initiated,
            source_event_id=source_event_id,
            created_at=clock.now(),
        )
        uow.session.add(interaction)
        uow.flush()
        return interaction, True


def recent_interactions(uow: UnitOfWork, customer_id: int, limit: int = 5) -> Sequence[Interaction]:
    with uow:
        return uow.session.exec(
            select(Interaction)
            .where(Interaction.customer_id == customer_id)
            .order_by(col(Interaction.created_at).desc(), col(Interaction.id).desc())
            .limit(limit)
        ).all()
