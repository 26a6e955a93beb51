"""Purchases, the append-only points ledger, rewards and redemptions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from storage.models._base import utcnow


class Purchase(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    order_id: str = Field(max_length=64, unique=True)
    """The business's order id, or a stable id derived from an import row's content."""
    purchased_on: date = Field(index=True)
    amount: Decimal = Field(max_digits=12, decimal_places=2)
    currency: str | None = Field(default=None, max_length=3)
    quantity: int | None = None
    note: str = Field(default="", max_length=500)
    source: str = Field(default="import", max_length=16)
    refunded_at: datetime | None = None
    """Set when the whole amount has been refunded (one full refund, or partial ones adding up)."""
    refunded_amount: Decimal = Field(default=Decimal(0), max_digits=12, decimal_places=2)
    """How much of `amount` has been refunded so far; never more than `amount`."""
    created_at: datetime = Field(default_factory=utcnow)


class Refund(SQLModel, table=True):
    """One refund of (part of) a purchase, once per `refund_key`: a replay finds its row."""

    id: int | None = Field(default=None, primary_key=True)
    purchase_id: int = Field(foreign_key="purchase.id", index=True)
    refund_key: str = Field(max_length=160, unique=True)
    """`<order id>:full` for a full refund, else the caller's refund id (API, shop webhooks)."""
    amount: Decimal = Field(max_digits=12, decimal_places=2)
    points_reversed: int = Field(default=0, sa_type=BigInteger)
    points_not_recoverable: int = Field(default=0, sa_type=BigInteger)
    source: str = Field(default="slack", max_length=16)
    actor: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class PointsEntry(SQLModel, table=True):
    """One change of a customer's points. Never updated or deleted: balances are derived from these."""

    __tablename__ = "points_entry"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    delta: int = Field(sa_type=BigInteger)
    """64-bit: a large purchase can earn more than a 32-bit INTEGER holds (loyalty.MAX_ENTRY_POINTS)."""
    kind: str = Field(max_length=16)
    """earn, survey, birthday, bonus, adjust, redeem, refund, expire, merge_in, merge_out, forfeit."""
    reason: str = Field(default="", max_length=500)
    actor: str = Field(max_length=64)
    """`system`, `customer`, or `slack:<user id>`."""
    idempotency_key: str = Field(max_length=128, unique=True)
    available_at: datetime
    """Pending until then (credits); equals created_at for debits."""
    expires_at: datetime | None = None
    """Credits only: when the unspent rest of this batch expires."""
    lot_id: int | None = Field(default=None, foreign_key="points_entry.id")
    """Debits that must come out of one particular batch first (a refund reverses its purchase's points)."""
    purchase_id: int | None = Field(default=None, foreign_key="purchase.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Reward(SQLModel, table=True):
    """The reward catalogue as last synced from the business rules (kept so redemptions stay readable)."""

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    cost: int
    active: bool = True


class Redemption(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    reward_code: str = Field(foreign_key="reward.code", max_length=32)
    cost: int
    status: str = Field(default="confirmed", max_length=16)
    """pending (awaiting the customer's confirmation), confirmed, cancelled."""
    coupon_code: str | None = Field(default=None, max_length=32, unique=True)
    request_key: str = Field(max_length=128, unique=True)
    """Idempotency of the request (the tap that asked); the confirmation has its own ledger key."""
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
