"""What erasure leaves behind on purpose: the suppression list (keyed hashes of an erased person's id,
phone and email, never the values), the hashing key when ERASURE_KEY is not set, and the Slack
messages about an erased customer still to be edited to "erased"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models._base import utcnow


class Suppression(SQLModel, table=True):
    """One identifier of an erased person: an import, the API or a webhook must not re-create them."""

    digest: str = Field(primary_key=True, max_length=64)
    """HMAC-SHA256 (hex) of the kind and the normalised value, under the erasure key."""
    kind: str = Field(max_length=16)
    """customer_id, phone or email."""
    created_at: datetime = Field(default_factory=utcnow)


class SuppressionKey(SQLModel, table=True):
    """The hashing key made on the first erasure when ERASURE_KEY is not set (one row)."""

    __tablename__ = "suppression_key"

    id: int = Field(default=1, primary_key=True)
    secret: str = Field(max_length=64)
    """32 random bytes, hex."""
    created_at: datetime = Field(default_factory=utcnow)


class SlackErasure(SQLModel, table=True):
    """A Slack message (an alert with its thread, or one message logged from Slack) about an erased
    customer: the Slack part edits the app's messages to "erased" and asks the authors of the others
    to delete theirs. Written in the erasure's transaction, so a restart finishes the work."""

    __tablename__ = "slack_erasure"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_slack_erasure_message"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    scope: str = Field(default="thread", max_length=8)
    """thread (the message and every reply to it) or message (that message only)."""
    status: str = Field(default="pending", max_length=16)
    """pending, done, gave_up."""
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    """Due from then; a worker that claims the row moves it a lease ahead (another one waits)."""
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None


class DigestMention(SQLModel, table=True):
    """A customer named in a posted digest message: what an erasure needs to find that message and
    redact the customer from it. No name is kept, only the customer's id and the fingerprints of the
    lines naming them (the name is gone from the database by the time the message is edited)."""

    __tablename__ = "digest_mention"
    __table_args__ = (UniqueConstraint("channel", "ts", "customer_id", name="uq_digest_mention"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=32)
    ts: str = Field(max_length=32)
    customer_id: int = Field(index=True)
    lines: str = Field(default="")
    """Space-separated fingerprints (sha256, 16 hex digits) of the lines of shared sections that name
    the customer; their own blocks (an at-risk customer's) are found by block id."""
    created_at: datetime = Field(default_factory=utcnow)
