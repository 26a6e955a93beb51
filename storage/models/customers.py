"""Customers, their chat identities, staff members and the timeline of interactions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models._base import utcnow


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=64, unique=True, index=True)
    """The business's own customer id (SPEC: `customer_id`)."""
    name: str | None = Field(default=None, max_length=200, index=True)
    phone: str | None = Field(default=None, max_length=20, index=True)
    """E.164."""
    email: str | None = Field(default=None, max_length=254, index=True)
    birthday: date | None = None
    birthday_set_at: datetime | None = None
    """When the birthday was entered: a birthday entered < 30 days before it earns no reward."""
    language: str | None = Field(default=None, max_length=8)
    tags: str = Field(default="", max_length=500)
    """Comma-separated."""
    allows_promotions: bool = True
    """False after /stop: no surveys or promotions; service replies continue."""
    unreachable: bool = False
    """True after Telegram answered 403 (blocked by the user): no further sends."""
    merged_into_id: int | None = Field(default=None, foreign_key="customer.id")
    unknown_contact: bool = False
    """A Telegram chat that wrote before it was linked (no phone shared, no deep link): kept so its
    messages are heard; `name` is the Telegram name. Linking the chat turns it into a customer or
    merges it into the one it links to."""
    erased_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ChatIdentity(SQLModel, table=True):
    __tablename__ = "chat_identity"
    __table_args__ = (UniqueConstraint("platform", "user_id", name="uq_chat_identity_platform_user"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    platform: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    chat_id: str = Field(max_length=64)
    username: str | None = Field(default=None, max_length=64)
    language_code: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"

    id: int | None = Field(default=None, primary_key=True)
    slack_user_id: str = Field(max_length=32, unique=True)
    name: str = Field(default="", max_length=200)
    role: str = Field(default="staff", max_length=16)
    """`staff` or `admin` (admins adjust points and change settings)."""
    created_at: datetime = Field(default_factory=utcnow)


class Interaction(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = Field(max_length=16)
    """telegram, slack, phone, visit, email, note, system."""
    direction: str = Field(max_length=8)
    """inbound (from the customer), outbound (to the customer), internal (staff only)."""
    kind: str = Field(max_length=24)
    """message, feedback, call, visit, email, note, contacted, survey, reminder, offer, greeting, …"""
    text: str = Field(default="", max_length=10000)
    sentiment: float | None = None
    sentiment_method: str | None = Field(default=None, max_length=16)
    staff_id: int | None = Field(default=None, foreign_key="staff_member.id")
    bot_initiated: bool = False
    """An unsolicited message (survey, reminder, offer, greeting): the 24-hour rule counts these."""
    source_event_id: str | None = Field(default=None, max_length=128, unique=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    triage: str | None = Field(default=None, max_length=16)
    """A customer's message: complaint, question, request, praise or chatter (bot/text/triage.py)."""
    ticket_id: int | None = Field(default=None, index=True)
    """The conversation (ticket id) the customer's message opened or joined."""
    relay: str | None = Field(default=None, max_length=8)
    """A conversation message's way into the Slack thread: `sent` (relayed), `held` (waits for the
    next combined post), `kept` (on the timeline only: it opened the alert, or relaying was paused)."""


class LinkCode(SQLModel, table=True):
    """A one-time code in a Telegram deep link (`/start CODE`) that binds a chat to a customer."""

    __tablename__ = "link_code"

    code: str = Field(primary_key=True, max_length=32)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
