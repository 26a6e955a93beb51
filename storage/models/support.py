"""Conversations (tickets) and staff follow-ups (owner, contact, snooze)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.models._base import utcnow

OPEN_TICKET = text("status = 'open'")


class Ticket(SQLModel, table=True):
    """A conversation with one customer (SPEC §8): opened by a complaint, a question, a request or a
    detractor's score; the customer's later messages join it until it is resolved."""

    __table_args__ = (
        # One open conversation per customer, also between processes on PostgreSQL.
        Index(
            "uq_ticket_open_customer",
            "customer_id",
            unique=True,
            sqlite_where=OPEN_TICKET,
            postgresql_where=OPEN_TICKET,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(default="open", max_length=16)
    """open or resolved."""
    source: str = Field(max_length=16)
    """feedback, survey, staff."""
    kind: str = Field(default="complaint", max_length=16)
    """complaint, question or request: what the message that opened it was (a detractor's score is a
    complaint)."""
    text: str = Field(default="", max_length=4000)
    opened_at: datetime = Field(default_factory=utcnow)
    resolved_at: datetime | None = None
    resolved_by: str | None = Field(default=None, max_length=64)
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    """The alert message: its thread is the conversation with the customer."""
    held_since: datetime | None = None
    """The oldest customer message waiting for the next combined thread post (a flood: more than
    5 a minute); None when nothing waits."""
    last_relay_at: datetime | None = None
    """When the customer's words last went into the thread (or a combined post was claimed)."""
    relay_paused_at: datetime | None = None
    """More than 30 messages in 10 minutes: nothing more is relayed until staff answer or an hour
    has passed since this moment."""
    first_response_at: datetime | None = None
    """Staff's first reply to the customer in this conversation (SPEC §8's first-response clock);
    None while it waits for a reply."""
    overdue_at: datetime | None = None
    """When the conversation was flagged past its first-response target (set once: the flag and
    its alert update are claimed by this column)."""


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_up"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", unique=True)
    assignee_staff_id: int | None = Field(default=None, foreign_key="staff_member.id", index=True)
    snoozed_until: datetime | None = None
    snooze_reason: str | None = Field(default=None, max_length=500)
    last_contacted_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class WinbackOffer(SQLModel, table=True):
    """One win-back offer to a newly at-risk customer, with its A/B variant and outcome."""

    __tablename__ = "winback_offer"
    __table_args__ = (UniqueConstraint("customer_id", "episode", name="uq_winback_customer_episode"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    episode: str = Field(max_length=16)
    """The at-risk snapshot day that made the customer eligible: one offer per at-risk episode."""
    variant: str = Field(max_length=32)
    status: str = Field(default="queued", max_length=16)
    """queued, sent, skipped, failed."""
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    converted_at: datetime | None = None
    """The first purchase within the measurement window after the offer was sent."""


class FaqReply(SQLModel, table=True):
    """One answer the bot gave from the shop's FAQ, and what the customer did with it."""

    __tablename__ = "faq_reply"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    entry_id: str = Field(max_length=64, index=True)
    """The [[faq]] entry's key (or first question): the counts of /crm faq group by it."""
    interaction_id: int = Field(foreign_key="interaction.id", unique=True)
    """The customer's question (its text lives there): a replayed message answers once."""
    answered_at: datetime = Field(default_factory=utcnow)
    outcome: str | None = Field(default=None, max_length=16)
    """None (no tap yet), helped ("That helps") or person ("Talk to a person")."""
    outcome_at: datetime | None = None
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    """The conversation "Talk to a person" opened or joined."""
