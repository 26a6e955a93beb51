"""The transactional outbox: every domain event a unit of work records, written in its transaction,
one row per destination (the adapter that delivers it), until that adapter has delivered it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, Text
from sqlmodel import Field, SQLModel

from storage.models._base import utcnow

PENDING = "pending"
DELIVERED = "delivered"
GAVE_UP = "gave_up"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_chain", "destination", "state", "aggregate", "id"),
        Index("ix_outbox_settled", "state", "settled_at"),
    )

    id: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),  # SQLite: the rowid itself
    )
    destination: str = Field(max_length=16)
    """The adapter that delivers it: telegram or slack."""
    event_type: str = Field(max_length=160)
    """`module:QualName` of the event's dataclass (storage/outbox.py resolves it)."""
    aggregate: str | None = Field(default=None, max_length=64)
    """Rows of one aggregate (a customer, a ticket, a campaign) are delivered in id order."""
    payload: str = Field(sa_type=Text)
    """The event's fields as tagged JSON (storage/outbox.py)."""
    state: str = Field(default=PENDING, max_length=16)
    """pending, delivered, or gave_up (failed for longer than the sender's limit; `jobs` shows it)."""
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime | None = None
    """Not before this moment (a retry's backoff, a platform's Retry-After); None: at once."""
    claimed_by: str | None = Field(default=None, max_length=128)
    """The sender delivering it now (`host:pid:nonce`); cleared when it lets go."""
    lease_until: datetime | None = None
    """The claim holds until then (renewed while the sender lives); then anyone may take it over."""
    failures: int = Field(default=0)
    """Failed deliveries so far (a rate limit's wait does not count)."""
    failing_since: datetime | None = None
    """First failure of the current run of failures; the sender gives up a bounded time after it."""
    last_error: str = Field(default="", max_length=500)
    done: str = Field(default="[]", sa_type=Text)
    """JSON list of the subscribers that already handled it: a retry calls only the others."""
    settled_at: datetime | None = None
    """When it was delivered or given up (the daily upkeep prunes old settled rows)."""
