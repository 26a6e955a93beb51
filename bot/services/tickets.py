"""Feedback and complaint tickets: what a customer says, when it becomes a ticket, and closing it.

A ticket is the conversation with one customer about one problem. While it is open, the
customer's messages belong to it (they are relayed into its Slack thread); at most one ticket
per customer is open at a time, so an alert is updated instead of posted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select

from bot.clock import Clock
from bot.events import CustomerMessaged, FeedbackReceived, StaffReplied, TicketOpened, TicketResolved
from bot.services.audit import record_audit
from bot.services.errors import AlreadyDone, InvalidInput
from bot.services.interactions import log_interaction
from bot.services.slack_erasures import THREAD, SlackMessageRef, queue_slack_erasures
from bot.text.sentiment import is_complaint
from storage.models import Customer, Ticket
from storage.models._base import utcnow
from storage.uow import UnitOfWork

MAX_FEEDBACK = 4000


@dataclass(frozen=True)
class FeedbackOutcome:
    interaction_id: int
    negative: bool
    ticket: Ticket | None
    ticket_opened: bool
    duplicate: bool
    """The same inbound message (source event) was handled before: nothing changed."""


def open_ticket_of(uow: UnitOfWork, customer_id: int) -> Ticket | None:
    with uow:
        return uow.session.exec(
            select(Ticket)
            .where(Ticket.customer_id == customer_id, Ticket.status == "open")
            .order_by(col(Ticket.opened_at).desc())
        ).first()


def get_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    with uow:
        ticket = uow.session.get(Ticket, ticket_id)
        if ticket is None:
            raise InvalidInput(f"no ticket #{ticket_id}")
        return ticket


def ticket_for_thread(uow: UnitOfWork, channel: str, thread_ts: str) -> Ticket | None:
    """The ticket whose Slack alert is the root of this thread (None once its customer was erased: what
    staff write there then is not put back on an erased timeline)."""
    with uow:
        return uow.session.exec(
            select(Ticket)
            .join(Customer, col(Customer.id) == col(Ticket.customer_id))
            .where(
                Ticket.slack_channel == channel,
                Ticket.slack_ts == thread_ts,
                col(Customer.erased_at).is_(None),
            )
        ).first()


def open_ticket(
    uow: UnitOfWork, clock: Clock, *, customer_id: int, source: str, text: str
) -> tuple[Ticket, bool]:
    """The customer's open ticket, or a new one (second value: newly opened?)."""
    with uow:
        existing = open_ticket_of(uow, customer_id)
        if existing is not None:
            return existing, False
        ticket = Ticket(
            customer_id=customer_id, source=source, text=text[:MAX_FEEDBACK], opened_at=clock.now()
        )
        uow.session.add(ticket)
        uow.flush()
        assert ticket.id is not None
        uow.emit(TicketOpened(customer_id=customer_id, ticket_id=ticket.id))
        return ticket, True


def receive_feedback(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    text: str,
    source_event_id: str | None,
    channel: str = "telegram",
) -> FeedbackOutcome:
    """Log what the customer wrote (with sentiment); a complaint or negative message opens a ticket.

    While a ticket is open, every message from the customer joins it (and reaches its thread).
    """
    text = text.strip()
    if not text:
        raise InvalidInput("feedback cannot be empty")
    with uow:
        interaction, created = log_interaction(
            uow,
            clock,
            customer_id=customer_id,
            channel=channel,
            direction="inbound",
            kind="feedback",
            text=text[:MAX_FEEDBACK],
            source_event_id=source_event_id,
        )
        assert interaction.id is not None
        negative = (interaction.sentiment is not None and interaction.sentiment <= -0.1) or is_complaint(text)
        if not created:
            return FeedbackOutcome(interaction.id, negative, open_ticket_of(uow, customer_id), False, True)
        current = open_ticket_of(uow, customer_id)
        if current is not None:
            assert current.id is not None
            uow.emit(
                CustomerMessaged(customer_id=customer_id, ticket_id=current.id, text=text[:MAX_FEEDBACK])
            )
            return FeedbackOutcome(interaction.id, negative, current, False, False)
        ticket, opened = (None, False)
        if negative:
            ticket, opened = open_ticket(uow, clock, customer_id=customer_id, source="feedback", text=text)
        uow.emit(
            FeedbackReceived(
                customer_id=customer_id,
                interaction_id=interaction.id,
                text=text[:MAX_FEEDBACK],
                negative=negative,
                ticket_id=ticket.id if ticket else None,
            )
        )
        return FeedbackOutcome(interaction.id, negative, ticket, opened, False)


def attach_slack_thread(
    uow: UnitOfWork, *, ticket_id: int, channel: str, ts: str, clock: Clock | None = None
) -> tuple[str, str]:
    """Remember the alert message whose thread is this ticket's conversation. The first one attached
    stays: the (channel, ts) returned is another poster's if it got there first. An alert that lands
    after its customer was erased (posted while the erasure ran) is queued to be edited to "erased"."""
    with uow:
        uow.session.execute(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.slack_ts).is_(None))
            .values(slack_channel=channel, slack_ts=ts)
        )
        ticket = get_ticket(uow, ticket_id)  # loaded after the update: the alert attached, ours or not
        assert ticket.slack_channel is not None and ticket.slack_ts is not None
        customer = uow.session.get(Customer, ticket.customer_id)
        if customer is not None and customer.erased_at is not None:
            now = clock.now() if clock is not None else utcnow()
            queue_slack_erasures(
                uow.session, now, [SlackMessageRef(ticket.slack_channel, ticket.slack_ts, THREAD)]
            )
        return ticket.slack_channel, ticket.slack_ts


def resolve_ticket(uow: UnitOfWork, clock: Clock, *, ticket_id: int, actor: str) -> Ticket:
    """Close the ticket at once; a second resolve changes nothing (and says so)."""
    now = clock.now()
    with uow:
        ticket = get_ticket(uow, ticket_id)
        if ticket.status == "resolved":
            raise AlreadyDone(f"ticket #{ticket_id} is already resolved")
        ticket.status, ticket.resolved_at, ticket.resolved_by = "resolved", now, actor
        uow.session.add(ticket)
        record_audit(
            uow,
            actor=actor,
            action="ticket.resolve",
            at=now,
            customer_id=ticket.customer_id,
            ticket_id=ticket_id,
        )
        assert ticket.id is not None
        uow.emit(TicketResolved(customer_id=ticket.customer_id, ticket_id=ticket.id))
        return ticket


def add_internal_note(
    uow: UnitOfWork, clock: Clock, *, ticket_id: int, staff_id: int, text: str, source_event_id: str | None
) -> bool:
    """A staff message in the ticket's thread: on the customer's timeline, never sent to them."""
    with uow:
        ticket = get_ticket(uow, ticket_id)
        _, created = log_interaction(
            uow,
            clock,
            customer_id=ticket.customer_id,
            channel="slack",
            direction="internal",
            kind="note",
            text=text[:MAX_FEEDBACK],
            staff_id=staff_id,
            source_event_id=source_event_id,
            score=False,
        )
        return created


def reply_to_customer(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    ticket_id: int | None,
    staff_id: int,
    staff_name: str,
    text: str,
    source_event_id: str | None,
) -> bool:
    """Send staff's words to the customer (the Telegram side delivers on the StaffReplied event).

    Returns False for a replay of the same source event (a double click, a retried event): sent once.
    """
    text = text.strip()
    if not text:
        raise InvalidInput("the reply is empty")
    with uow:
        interaction, created = log_interaction(
            uow,
            clock,
            customer_id=customer_id,
            channel="telegram",
            direction="outbound",
            kind="staff_reply",
            text=text[:MAX_FEEDBACK],
            staff_id=staff_id,
            source_event_id=source_event_id,
            score=False,
        )
        if created:
            assert interaction.id is not None
            uow.emit(
                StaffReplied(
                    customer_id=customer_id,
                    ticket_id=ticket_id,
                    interaction_id=interaction.id,
                    text=text[:MAX_FEEDBACK],
                    staff_name=staff_name,
                )
            )
        return created
