"""Reading the outbox table in tests: the events a unit of work committed for delivery."""

from __future__ import annotations

from sqlmodel import col, select

from bot.context import AppContext
from storage.models import OutboxMessage
from storage.outbox import decode_event


def outbox_events(ctx: AppContext, destination: str | None = None, state: str | None = None) -> list[object]:
    """The events in the outbox (for `destination`, in `state`), in commit order."""
    with ctx.uow() as uow:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if destination is not None:
            query = query.where(OutboxMessage.destination == destination)
        if state is not None:
            query = query.where(OutboxMessage.state == state)
        return [decode_event(row.event_type, row.payload) for row in uow.session.exec(query).all()]
