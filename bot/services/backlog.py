"""What is waiting, read from the database for `/metrics`: messages not sent yet, conversations
nobody has answered yet. Read-only, one snapshot, cheap enough for every scrape."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select

from bot.metrics import Backlog
from bot.services.survey_states import PENDING
from storage.models import Interaction, OutboxMessage, SurveyDispatch, Ticket, WinbackOffer
from storage.models.outbox import PENDING as PENDING_DELIVERY
from storage.uow import UnitOfWork


def read_backlog(uow: UnitOfWork) -> Backlog:
    with uow.reading():
        return Backlog(outbox_depth=_outbox_depth(uow), conversations_waiting=_conversations_waiting(uow))


def _outbox_depth(uow: UnitOfWork) -> int:
    """Committed to send, not sent: the outbox's undelivered rows (alerts, relayed messages, staff
    replies, notices: one per event and adapter), surveys queued or being sent, win-back offers
    queued (those two wait in their own tables until their send window)."""
    surveys = uow.session.exec(
        select(func.count()).select_from(SurveyDispatch).where(col(SurveyDispatch.status).in_(PENDING))
    ).one()
    offers = uow.session.exec(
        select(func.count()).select_from(WinbackOffer).where(WinbackOffer.status == "queued")
    ).one()
    outbox = uow.session.exec(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == PENDING_DELIVERY)
    ).one()
    return int(surveys) + int(offers) + int(outbox)


def _conversations_waiting(uow: UnitOfWork) -> int:
    """Open tickets whose customer wrote last.

    The customer's last word is their latest inbound message, or the ticket's opening if that is
    later (a detractor's score opens one without a message). Staff have answered when a staff
    member wrote to the customer (a reply) or logged contacting them since. Internal notes in the
    thread and the bot's own acknowledgements are not answers.
    """
    same_customer = col(Interaction.customer_id) == col(Ticket.customer_id)
    wrote = (
        select(func.max(Interaction.created_at))
        .where(same_customer, Interaction.direction == "inbound")
        .scalar_subquery()
    )
    answered = (
        select(func.max(Interaction.created_at))
        .where(
            same_customer,
            col(Interaction.staff_id).is_not(None),
            or_(col(Interaction.direction) == "outbound", col(Interaction.kind) == "contacted"),
        )
        .scalar_subquery()
    )
    rows = uow.session.exec(select(Ticket.opened_at, wrote, answered).where(Ticket.status == "open")).all()
    return sum(1 for opened, last_wrote, last_answer in rows if _waiting(opened, last_wrote, last_answer))


def _waiting(opened: datetime, wrote: datetime | None, answered: datetime | None) -> bool:
    last_word = max(opened, wrote) if wrote is not None else opened
    return answered is None or answered < last_word
