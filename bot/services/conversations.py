"""Conversations (SPEC §8): one open conversation (a ticket) per customer, and how the customer's
messages reach its Slack thread when they come fast.

A message that needs an answer opens the customer's conversation, or joins the open one whatever
its kind. Joined messages go into the thread one by one while they come at most 5 a minute; faster
ones are held (`Interaction.relay = "held"`, `Ticket.held_since`) and go into one combined post a
minute, posted by the Slack side's relay tick (`due_held_batches` → `claim_held_batch` →
`finish_held_batch`): the state is in the database, so a restart or another process picks it up.
More than 30 messages in 10 minutes pause the relay (the customer gets one "we have your
messages") until staff answer or an hour passes; everything stays on the timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from sqlalchemy import ColumnElement, func, or_, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.events import CustomerMessaged, RelayPaused, RelayResumed, TicketOpened
from bot.services.loyalty import lock_customer
from bot.text.sentiment import is_complaint
from bot.text.triage import NEEDS_HUMAN, Kind, triage
from storage.models import Interaction, Ticket
from storage.uow import UnitOfWork

MAX_TEXT = 4000
COMBINE_ABOVE: Final = 5
"""Messages a minute a customer may send before their messages are combined into one post a minute."""
COMBINE_EVERY: Final = timedelta(minutes=1)
PAUSE_ABOVE: Final = 30
"""Messages within PAUSE_WINDOW after which relaying pauses (and the customer is told once)."""
PAUSE_WINDOW: Final = timedelta(minutes=10)
PAUSE_FOR: Final = timedelta(hours=1)
COMBINED_MAX_MESSAGES: Final = 60
"""Messages in one combined post at most; the rest wait for the next one (a minute later)."""

Relay = Literal["alert", "sent", "held", "paused", "paused_now"]
"""What happened to a message in its conversation's thread: it opened the alert (`alert`), went in
at once (`sent`), waits for the combined post (`held`), stays on the timeline because relaying is
paused (`paused`), or is the one that paused it (`paused_now`: tell the customer once)."""

SENT, HELD, KEPT = "sent", "held", "kept"
"""`Interaction.relay` values."""
_RELAY_STATE: Final = {"sent": SENT, "held": HELD}


@dataclass(frozen=True)
class ConversationTurn:
    """Where a message went: its conversation (ticket), whether it opened it, and the thread's way."""

    ticket: Ticket
    opened: bool
    relay: Relay

    @property
    def ticket_id(self) -> int:
        assert self.ticket.id is not None
        return self.ticket.id


def kind_of(text: str) -> Kind:
    """What a customer's message is (bot/text/triage.py). The older complaint word list stays as a
    safety net: praise or chatter it calls a complaint is a complaint (a human looks). Sentiment
    does not overrule triage: on the labelled set it only added false alarms (docs/decisions.md)."""
    kind = triage(text).kind
    if kind not in NEEDS_HUMAN and is_complaint(text):
        return "complaint"
    return kind


def open_ticket_of(uow: UnitOfWork, customer_id: int) -> Ticket | None:
    """The customer's open conversation, if any (there is at most one)."""
    with uow:
        return uow.session.exec(
            select(Ticket)
            .where(Ticket.customer_id == customer_id, Ticket.status == "open")
            .order_by(col(Ticket.opened_at).desc())
        ).first()


def open_or_join_conversation(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    kind: str,
    text: str,
    interaction_id: int | None = None,
    source: str = "feedback",
    relay_text: bool = True,
) -> ConversationTurn:
    """The customer's open conversation, which `text` joins (whatever its kind), or a new one of `kind`.

    `interaction_id`: the customer's message already on the timeline, attached to the conversation
    (the FAQ's "Talk to a person" passes the question it answered). A new conversation's alert
    shows `text`; a joined one relays it into the thread under the flood rules, unless
    `relay_text` is False (a detractor's score redraws the alert instead).
    """
    now = clock.now()
    with uow:
        lock_customer(uow, customer_id)  # one opener at a time per customer (a row lock on PostgreSQL)
        ticket = open_ticket_of(uow, customer_id)
        message = uow.session.get(Interaction, interaction_id) if interaction_id is not None else None
        if ticket is None:
            ticket = Ticket(
                customer_id=customer_id,
                source=source,
                kind=kind,
                text=text[:MAX_TEXT],
                opened_at=now,
                last_relay_at=now,
            )
            uow.session.add(ticket)
            uow.flush()
            assert ticket.id is not None
            if message is not None:
                message.ticket_id, message.relay = ticket.id, KEPT
                uow.session.add(message)
            uow.emit(TicketOpened(customer_id=customer_id, ticket_id=ticket.id))
            return ConversationTurn(ticket, True, "alert")
        assert ticket.id is not None
        if not relay_text:
            return ConversationTurn(ticket, False, "alert")
        relay = _relay(uow, now, ticket, customer_id)
        if message is not None:
            message.ticket_id, message.relay = ticket.id, _RELAY_STATE.get(relay, KEPT)
            uow.session.add(message)
        if relay == "sent":
            uow.emit(CustomerMessaged(customer_id=customer_id, ticket_id=ticket.id, text=text[:MAX_TEXT]))
        elif relay == "paused_now":
            uow.emit(RelayPaused(customer_id=customer_id, ticket_id=ticket.id))
        uow.session.add(ticket)
        uow.flush()
        return ConversationTurn(ticket, False, relay)


def _relay(uow: UnitOfWork, now: datetime, ticket: Ticket, customer_id: int) -> Relay:
    """The thread's way for one more message of the customer (counted already on the timeline)."""
    if ticket.relay_paused_at is not None:
        if now < _aware(ticket.relay_paused_at) + PAUSE_FOR:
            return "paused"
        ticket.relay_paused_at = None  # an hour has passed (a staff answer clears it: resume_relay)
    answered = last_answer_at(uow, customer_id)
    since = max(now - PAUSE_WINDOW, answered) if answered else now - PAUSE_WINDOW
    if messages_since(uow, customer_id, since) > PAUSE_ABOVE:  # counted afresh after staff answer
        ticket.relay_paused_at = now
        return "paused_now"
    if ticket.held_since is not None or messages_since(uow, customer_id, now - COMBINE_EVERY) > COMBINE_ABOVE:
        ticket.held_since = ticket.held_since or now
        return "held"
    ticket.last_relay_at = now
    return "sent"


def messages_since(uow: UnitOfWork, customer_id: int, since: datetime) -> int:
    """The customer's own messages (text, outside surveys) on the timeline since `since`."""
    with uow:
        count = uow.session.exec(
            select(func.count())
            .select_from(Interaction)
            .where(
                Interaction.customer_id == customer_id,
                Interaction.direction == "inbound",
                Interaction.kind == "feedback",
                col(Interaction.created_at) >= since,
            )
        ).one()
        return int(count)


def last_answer_at(uow: UnitOfWork, customer_id: int) -> datetime | None:
    """When staff last wrote to the customer (Reply to customer, or a relayed thread message)."""
    with uow:
        found = uow.session.exec(
            select(func.max(Interaction.created_at)).where(
                Interaction.customer_id == customer_id,
                Interaction.direction == "outbound",
                Interaction.kind == "staff_reply",
            )
        ).one()
        return _aware(found) if found else None


def resume_relay(uow: UnitOfWork, *, customer_id: int) -> None:
    """Staff answered the customer: their next messages reach the thread again."""
    with uow:
        paused = uow.session.exec(
            select(Ticket).where(
                Ticket.customer_id == customer_id,
                Ticket.status == "open",
                col(Ticket.relay_paused_at).is_not(None),
            )
        ).all()
        for ticket in paused:
            assert ticket.id is not None
            ticket.relay_paused_at = None
            uow.session.add(ticket)
            uow.emit(RelayResumed(customer_id=customer_id, ticket_id=ticket.id))


# --- the combined posts (the Slack side's relay tick) ------------------------------------------


@dataclass(frozen=True)
class HeldMessage:
    interaction_id: int
    at: datetime
    text: str


@dataclass(frozen=True)
class HeldBatch:
    """Held messages of one conversation, for one combined post."""

    ticket_id: int
    claimed_at: datetime
    messages: tuple[HeldMessage, ...]

    @property
    def through_id(self) -> int:
        return self.messages[-1].interaction_id


def due_held_batches(uow: UnitOfWork, clock: Clock) -> list[int]:
    """Conversations whose held messages are due for their combined post (a minute after the last)."""
    now = clock.now()
    with uow.reading():
        rows = uow.session.exec(
            select(Ticket.id).where(col(Ticket.held_since).is_not(None), _due(now)).order_by(col(Ticket.id))
        ).all()
        return [int(r) for r in rows if r is not None]


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(col(Ticket.last_relay_at).is_(None), col(Ticket.last_relay_at) <= now - COMBINE_EVERY)


def claim_held_batch(uow: UnitOfWork, clock: Clock, ticket_id: int) -> HeldBatch | None:
    """Claim the next combined post of this conversation (once across processes), or None.

    The claim moves `last_relay_at` to now and marks nothing sent: a poster that dies before
    `finish_held_batch` leaves the messages held, and the post is due again a minute later.
    """
    now = clock.now()
    with uow:
        claimed = uow.session.execute(
            update(Ticket)
            .where(col(Ticket.id) == ticket_id, col(Ticket.held_since).is_not(None), _due(now))
            .values(last_relay_at=now)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return None
        rows = uow.session.exec(
            select(Interaction)
            .where(Interaction.ticket_id == ticket_id, Interaction.relay == HELD)
            .order_by(col(Interaction.id))
            .limit(COMBINED_MAX_MESSAGES)
        ).all()
        messages = tuple(HeldMessage(row.id or 0, _aware(row.created_at), row.text) for row in rows)
        if not messages:  # nothing held after all (e.g. erased): nothing to post
            uow.session.execute(update(Ticket).where(col(Ticket.id) == ticket_id).values(held_since=None))
            return None
        return HeldBatch(ticket_id, now, messages)


def finish_held_batch(uow: UnitOfWork, batch: HeldBatch) -> None:
    """The combined post is in the thread: its messages are sent; the next held one (if any) waits."""
    with uow:
        uow.session.execute(
            update(Interaction)
            .where(
                col(Interaction.ticket_id) == batch.ticket_id,
                col(Interaction.relay) == HELD,
                col(Interaction.id) <= batch.through_id,
            )
            .values(relay=SENT)
        )
        oldest = uow.session.exec(
            select(func.min(Interaction.created_at)).where(
                Interaction.ticket_id == batch.ticket_id, Interaction.relay == HELD
            )
        ).one()
        uow.session.execute(update(Ticket).where(col(Ticket.id) == batch.ticket_id).values(held_since=oldest))


def _aware(moment: datetime) -> datetime:
    """Stored datetimes are UTC; SQLite may hand them back naive."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
