"""What a customer says, the conversation (ticket) it opens or joins, and closing it.

A ticket is the conversation with one customer (SPEC §8). Every message outside a survey is
triaged; a complaint, a question or a request opens one, and while it is open every message of the
customer joins it (relayed into its Slack thread under the flood rules of conversations.py). At
most one ticket per customer is open at a time, so an alert is updated instead of posted twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import col, select

from bot.clock import Clock
from bot.events import FeedbackReceived, StaffReplied, TicketResolved
from bot.services.audit import record_audit
from bot.services.conversations import (
    COMBINE_ABOVE,
    COMBINE_EVERY,
    Relay,
    kind_of,
    messages_since,
    open_or_join_conversation,
    open_ticket_of,
    resume_relay,
)
from bot.services.errors import AlreadyDone, InvalidInput
from bot.services.interactions import log_interaction
from bot.services.response_clock import record_first_response
from bot.services.slack_erasures import THREAD, SlackMessageRef, queue_slack_erasures
from bot.text.sentiment import is_complaint
from bot.text.triage import NEEDS_HUMAN, Kind
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
    kind: str = "question"
    """What triage made of the message: complaint, question, request, praise or chatter."""
    relay: Relay | None = None
    """A message in a conversation: its way into the Slack thread (conversations.Relay)."""
    flooding: bool = False
    """More than 5 messages from the customer in the last minute: the bot does not answer each one."""
    unknown_contact: bool = False
    """From a chat not linked to a customer yet (contacts.py)."""
    customer_id: int | None = None
    """Whose timeline it is on (the customer's, or the unknown contact's)."""

    @property
    def needs_human(self) -> bool:
        return self.kind in NEEDS_HUMAN


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
    uow: UnitOfWork, clock: Clock, *, customer_id: int, source: str, text: str, kind: str = "complaint"
) -> tuple[Ticket, bool]:
    """The customer's open ticket, or a new one (second value: newly opened?). Nothing is relayed."""
    turn = open_or_join_conversation(
        uow, clock, customer_id=customer_id, kind=kind, text=text, source=source, relay_text=False
    )
    return turn.ticket, turn.opened


def receive_feedback(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    text: str,
    source_event_id: str | None,
    channel: str = "telegram",
    kind: Kind | None = None,
) -> FeedbackOutcome:
    """Log what the customer wrote (with sentiment and its triage); a complaint, a question or a
    request opens a conversation, and while one is open every message joins it. Praise and chatter
    without an open conversation stay on the timeline. `kind`: triaged already by the caller.
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
            ticket = uow.session.get(Ticket, interaction.ticket_id) if interaction.ticket_id else None
            return FeedbackOutcome(
                interaction.id,
                negative,
                ticket,
                False,
                True,
                interaction.triage or "question",
                customer_id=customer_id,
            )
        decided: str = kind or kind_of(text)
        interaction.triage = decided
        uow.session.add(interaction)
        flooding = messages_since(uow, customer_id, clock.now() - COMBINE_EVERY) > COMBINE_ABOVE
        if decided not in NEEDS_HUMAN and open_ticket_of(uow, customer_id) is None:
            uow.emit(
                FeedbackReceived(
                    customer_id=customer_id,
                    interaction_id=interaction.id,
                    text=text[:MAX_FEEDBACK],
                    negative=negative,
                    ticket_id=None,
                )
            )
            return FeedbackOutcome(
                interaction.id, negative, None, False, False, decided, None, flooding, customer_id=customer_id
            )
        turn = open_or_join_conversation(
            uow, clock, customer_id=customer_id, kind=decided, text=text, interaction_id=interaction.id
        )
        if turn.opened:
            uow.emit(
                FeedbackReceived(
                    customer_id=customer_id,
                    interaction_id=interaction.id,
                    text=text[:MAX_FEEDBACK],
                    negative=negative,
                    ticket_id=turn.ticket_id,
                )
            )
        return FeedbackOutcome(
            interaction.id,
            negative,
            turn.ticket,
            turn.opened,
            False,
            decided,
            turn.relay,
            flooding,
            customer_id=customer_id,
        )


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
            resume_relay(uow, customer_id=customer_id)
            record_first_response(uow, clock.now(), customer_id=customer_id, ticket_id=ticket_id)
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
