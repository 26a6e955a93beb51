"""NPS/CSAT campaigns, each survey sent to one customer, and the answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models._base import utcnow


class SurveyCampaign(SQLModel, table=True):
    __tablename__ = "survey_campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    segment: str = Field(max_length=64)
    """`all`, a lifecycle stage, an RFM segment, `customer:<id>`, or an automation name."""
    started_by: str = Field(max_length=64)
    trickle: bool = False
    override_cooldown: bool = False
    status: str = Field(default="running", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    sender_id: str | None = Field(default=None, max_length=128)
    """The process sending this campaign now (None: nobody); see bot/services/campaign_lease.py."""
    sender_lease_until: datetime | None = None
    """The sender renews this while it sends; past it, another sender may take the campaign over."""


class SurveyDispatch(SQLModel, table=True):
    """One survey for one customer; also the conversation state while it is being answered."""

    __tablename__ = "survey_dispatch"
    __table_args__ = (UniqueConstraint("campaign_id", "customer_id", name="uq_dispatch_campaign_customer"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int | None = Field(default=None, foreign_key="survey_campaign.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(default="nps", max_length=8)
    """nps or csat."""
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", unique=True)
    """CSAT: at most one per ticket."""
    status: str = Field(default="queued", max_length=16)
    """queued, sending, sent, awaiting_reason, answered, expired, skipped, failed."""
    skip_reason: str | None = Field(default=None, max_length=64)
    queued_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    reminded_at: datetime | None = None
    expires_at: datetime | None = None
    chat_message_id: str | None = Field(default=None, max_length=32)


class SurveyResponse(SQLModel, table=True):
    __tablename__ = "survey_response"

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(foreign_key="survey_dispatch.id", unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(default="nps", max_length=8)
    score: int
    comment: str | None = Field(default=None, max_length=4000)
    sentiment: float | None = None
    answered_at: datetime = Field(default_factory=utcnow, index=True)
    commented_at: datetime | None = None
