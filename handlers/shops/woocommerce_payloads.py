"""WooCommerce's webhook bodies (the REST API v3 Order that `order.created` / `order.updated` carry,
and the ping sent when a webhook is saved), read into the neutral values of
bot/services/shop_orders.py. Pure: no I/O.

WooCommerce writes dates twice: in the site's zone without an offset (`date_paid`) and in GMT, also
without one (`date_paid_gmt`); only the `_gmt` ones are read, as UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from bot.services.shop_orders import Buyer, ShopOrder, ShopRefund

SOURCE = "woocommerce"
COMPLETED: Final = "completed"
REFUNDED: Final = "refunded"
_PING = re.compile(rb"webhook_id=\d{1,20}")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Billing(_Lenient):
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None


class LineItem(_Lenient):
    quantity: int = Field(default=0, ge=0)


class RefundSummary(_Lenient):
    """An order's refunds as the order lists them: the refund's id and its total, negative."""

    id: int
    total: Decimal


class Order(_Lenient):
    id: int
    number: str | None = None
    status: str
    currency: str | None = Field(default=None, max_length=3)
    total: Decimal = Field(ge=0)
    date_created_gmt: datetime | None = None
    date_paid_gmt: datetime | None = None
    date_completed_gmt: datetime | None = None
    billing: Billing = Billing()
    line_items: list[LineItem] = []
    refunds: list[RefundSummary] = []


def is_ping(body: bytes) -> bool:
    """The form-encoded `webhook_id=12` WooCommerce posts, unsigned, when a webhook is saved."""
    return _PING.fullmatch(body.strip()) is not None


def order_id(woo_id: int) -> str:
    return f"{SOURCE}:{woo_id}"


def shop_order(order: Order) -> ShopOrder:
    """The purchase a completed order is: its total, when it was paid (or completed), and the buyer."""
    billing = order.billing
    when = order.date_paid_gmt or order.date_completed_gmt or order.date_created_gmt or datetime.now(UTC)
    quantity = sum(item.quantity for item in order.line_items)
    name = " ".join(part.strip() for part in (billing.first_name, billing.last_name) if part and part.strip())
    return ShopOrder(
        source=SOURCE,
        order_id=order_id(order.id),
        amount=order.total,
        currency=order.currency.upper() if order.currency else None,
        paid_at=when if when.tzinfo else when.replace(tzinfo=UTC),
        quantity=quantity or None,
        buyer=Buyer(
            name=name or None, phone=_blank_to_none(billing.phone), email=_blank_to_none(billing.email)
        ),
    )


def partial_refunds(order: Order) -> list[ShopRefund]:
    """The refunds an order lists, each with the money it returned (WooCommerce writes it negative)."""
    return [
        ShopRefund(
            source=SOURCE,
            order_id=order_id(order.id),
            refund_id=f"{SOURCE}-refund:{refund.id}",
            amount=abs(refund.total),
        )
        for refund in order.refunds
    ]


def whole_refund(order: Order) -> ShopRefund:
    """An order that reached `refunded`: whatever its listed refunds have not yet taken back."""
    return ShopRefund(
        source=SOURCE, order_id=order_id(order.id), refund_id=f"{SOURCE}-refunded:{order.id}", amount=None
    )


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
