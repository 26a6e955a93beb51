"""Bookkeeping that makes things happen exactly once and leaves a trail: job runs, processed
platform updates, daily risk snapshots and the audit log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models._base import utcnow


class JobRun(SQLModel, table=True):
    """The claim of one job for one period: the primary key makes a second claim fail."""

    __tablename__ = "job_run"

    job_name: str = Field(primary_key=True, max_length=64)
    period: str = Field(primary_key=True, max_length=32)
    status: str = Field(default="running", max_length=16)
    """running, done, failed (tried again from retry_at), gave_up (after the last try; reported)."""
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    detail: str = Field(default="", max_length=2000)
    attempts: int = Field(default=1)
    """Tries so far, this one included."""
    retry_at: datetime | None = None
    """A failed run is claimed again from this moment (growing delays)."""


class ProcessedUpdate(SQLModel, table=True):
    """An inbound Telegram update or Slack event already handled; a replay finds its row and stops."""

    __tablename__ = "processed_update"

    platform: str = Field(primary_key=True, max_length=16)
    update_key: str = Field(primary_key=True, max_length=128)
    processed_at: datetime = Field(default_factory=utcnow)


class RiskSnapshot(SQLModel, table=True):
    __tablename__ = "risk_snapshot"
    __table_args__ = (UniqueConstraint("customer_id", "as_of", name="uq_risk_snapshot_customer_day"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    as_of: date = Field(index=True)
    frequency: int
    recency_weeks: float
    age_weeks: float
    p_alive: float | None = None
    expected_purchases_90d: float | None = None
    expected_order_value: float | None = None
    clv: float | None = None
    rfm: str = Field(default="", max_length=3)
    segment: str = Field(default="", max_length=32)
    stage: str = Field(default="", max_length=16)
    at_risk: bool = False
    value_at_risk: float = 0.0
    reasons: str = Field(default="[]", max_length=4000)
    """JSON list of structured reasons (code + numbers), worded at the edges in the reader's language."""


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    customer_id: int | None = Field(default=None, index=True)
    detail: str = Field(default="{}", max_length=4000)
    """JSON."""
    created_at: datetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    """A key for the HTTP API. Only the SHA-256 of the key is kept; the key itself is shown once."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    """Names are never reused, so the audit log's `api:<name>` always means one key."""
    key_hash: str = Field(max_length=64, unique=True)
    """Hex SHA-256 of the whole key."""
    prefix: str = Field(max_length=16)
    """The key's first characters (`rb_live_ab12`), shown by `apikey list` to tell keys apart."""
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
