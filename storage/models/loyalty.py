"""Purchases, the append-only points ledger, rewards, redemptions and the coupons they give."""

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


class Coupon(SQLModel, table=True):
    """A coupon a customer holds: a redeemed reward or a win-back offer, used once at the counter.

    `state` is issued, used or void; "expired" is never written: an issued coupon whose
    `expires_at` has passed reads as expired (bot/services/coupons.py), so no job has to run on
    time for a coupon to stop working.
    """

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    """The canonical form, `ABCD-EFGH-JKLM` (lookups normalise what people type to it)."""
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(max_length=16)
    """reward or winback."""
    item: str = Field(max_length=32)
    """The reward's code or the win-back variant's name."""
    title: str = Field(max_length=500)
    title_zh_hans: str | None = Field(default=None, max_length=500)
    title_zh_hant: str | None = Field(default=None, max_length=500)
    """What the coupon is worth, as promised when it was issued (the rules file may change later)."""
    redemption_id: int | None = Field(default=None, foreign_key="redemption.id", unique=True)
    winback_offer_id: int | None = Field(default=None, foreign_key="winback_offer.id", unique=True)
    state: str = Field(default="issued", max_length=16)
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    used_at: datetime | None = None
    used_by: str | None = Field(default=None, max_length=64)
    """`slack:<user id>`, `api:<key name>`…: who marked it used."""
    voided_at: datetime | None = None
    voided_by: str | None = Field(default=None, max_length=64)
