"""Request and response bodies of the API, declared once: validation, responses and openapi.json."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from handlers.api.fields import Amount, Currency, Email, Id, Language, Name, Phone, Tags, parsing

Money = Annotated[Decimal, PlainSerializer(lambda v: f"{v:.2f}", return_type=str)]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CustomerRef(Request):
    """Who bought. Matched by customer_id, then phone, then email; created when nothing matches."""

    customer_id: Id | None = None
    phone: Phone = None
    email: Email = None
    name: Name = None

    @model_validator(mode="after")
    def _someone(self) -> CustomerRef:
        if not (self.customer_id or self.phone or self.email):
            raise ValueError("give a customer_id, a phone or an email")
        return self


def _not_future(day: dt.date | None, info: ValidationInfo, *, slack_days: int) -> dt.date | None:
    if day is None:
        return None
    if day > parsing(info).today + dt.timedelta(days=slack_days):
        raise ValueError(f"{day.isoformat()} is in the future")
    if day.year < 1900:
        raise ValueError(f"{day.isoformat()} is too long ago")
    return day


class PurchaseIn(Request):
    customer: CustomerRef
    order_id: Id = Field(description="The shop's order id: a repeat of it changes nothing.")
    amount: Amount
    currency: Currency = None
    date: dt.date | None = Field(default=None, description="ISO 8601 (YYYY-MM-DD); default today.")
    quantity: int | None = Field(default=None, ge=0, le=1_000_000)

    @field_validator("date")
    @classmethod
    def _date(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        return _not_future(value, info, slack_days=1)  # a day's slack for time zones


class PurchaseOut(BaseModel):
    order_id: str
    customer_id: str
    amount: Money
    currency: str | None
    date: dt.date
    quantity: int | None
    points_earned: int
    balance: int = Field(description="Spendable points right after this purchase.")
    pending: int = Field(description="Points not spendable yet right after this purchase.")


class RefundIn(Request):
    order_id: Id
    amount: Amount | None = Field(
        default=None, description="Part of the order refunded; without it, all that is not refunded yet."
    )
    refund_id: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None,
        description="The shop's refund id: a repeat of it changes nothing. Without one, a full refund "
        "is keyed by the order, and each partial refund is a new one.",
    )

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value <= 0:
            raise ValueError("a refund amount must be more than 0")
        return value


class RefundOut(BaseModel):
    order_id: str
    refund_id: str
    customer_id: str
    amount: Money = Field(description="What this refund gave back.")
    refunded_total: Money = Field(description="All refunds of the order so far.")
    fully_refunded: bool
    points_reversed: int
    points_not_recoverable: int = Field(description="Points of the order already spent: they stay spent.")
    balance: int
    pending: int


class CustomerIn(Request):
    """The import's customer columns; a field left out (or null) keeps what is stored."""

    name: Name = None
    phone: Phone = None
    email: Email = None
    birthday: dt.date | None = None
    language: Language = None
    tags: Tags = None

    @field_validator("birthday")
    @classmethod
    def _birthday(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        return _not_future(value, info, slack_days=0)


CouponKind = Literal["reward", "winback"]
CouponState = Literal["issued", "used", "void", "expired"]


class CouponOut(BaseModel):
    """A coupon the customer can still use."""

    code: str = Field(description="As printed: ABCD-EFGH-JKLM (look-ups ignore case, spaces and dashes).")
    kind: CouponKind = Field(description="reward: a redeemed reward; winback: a win-back offer.")
    item: str = Field(description="The reward's code or the win-back variant's name.")
    title: str = Field(description="What it is worth, as promised to the customer (English).")
    titles: dict[str, str] = Field(description="What it is worth in each language it was written in.")
    issued_at: dt.datetime
    expires_at: dt.datetime = Field(description="The moment it stops being valid (midnight, local time).")
    last_valid_day: dt.date = Field(description="The last local day it can be used.")


class CouponDetailOut(CouponOut):
    """A coupon and its state, whatever the state."""

    state: CouponState = Field(
        description="issued (valid now), used, void, or expired (issued but past its last valid day)."
    )
    customer_id: str
    customer_name: str | None
    used_at: dt.datetime | None
    used_by: str | None = Field(description='Who used it: "api:<key name>" or "slack:<user id>".')
    voided_at: dt.datetime | None
    voided_by: str | None


class CouponRefusedOut(BaseModel):
    """409 from redeem: the coupon cannot be used, and why."""

    error: str
    reason: Literal["used", "void", "expired"] = Field(
        description="used: see coupon.used_at/used_by; void: see coupon.voided_at; "
        "expired: see coupon.last_valid_day."
    )
    coupon: CouponDetailOut


class CustomerOut(BaseModel):
    customer_id: str
    name: str | None
    points: int = Field(description="Spendable points.")
    pending: int
    tier: str
    segment: str | None = Field(description="RFM segment of the latest daily score (null until scored).")
    stage: str | None = Field(description="Lifecycle stage of the latest daily score (null until scored).")
    open_coupons: list[CouponOut]


class ErrorOut(BaseModel):
    error: str
    fields: dict[str, str] | None = Field(
        default=None, description="400 only: one message per bad field (nested fields joined with '.')."
    )
