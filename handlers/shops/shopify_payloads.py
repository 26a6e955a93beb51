"""Shopify's webhook bodies (REST Admin API shapes: the Order of `orders/paid`, the Refund of
`refunds/create`), read into the neutral values of bot/services/shop_orders.py. Pure: no I/O.

Only the fields we use are declared; Shopify sends many more, and adds some every API version."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from bot.services.shop_orders import Buyer, ShopOrder, ShopRefund

SOURCE = "shopify"


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Customer(_Lenient):
    id: int | None = None
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class Address(_Lenient):
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    phone: str | None = None


class LineItem(_Lenient):
    quantity: int = Field(default=0, ge=0)


class Order(_Lenient):
    id: int
    name: str | None = None
    """`#1001`: what the shop's staff and the customer call the order."""
    total_price: Decimal = Field(ge=0)
    currency: str | None = Field(default=None, max_length=3)
    created_at: datetime | None = None
    processed_at: datetime | None = None
    email: str | None = None
    phone: str | None = None
    test: bool = False
    """An order from Shopify's "Send test notification" button or a test payment gateway."""
    customer: Customer | None = None
    billing_address: Address | None = None
    line_items: list[LineItem] = []


class Transaction(_Lenient):
    amount: Decimal = Field(ge=0)
    kind: str | None = None
    status: str | None = None


class RefundLineItem(_Lenient):
    quantity: int = 0
    subtotal: Decimal = Decimal(0)
    total_tax: Decimal = Decimal(0)


class Refund(_Lenient):
    id: int
    order_id: int
    transactions: list[Transaction] = []
    refund_line_items: list[RefundLineItem] = []


def order_id(shopify_id: int) -> str:
    return f"{SOURCE}:{shopify_id}"


def shop_order(order: Order) -> ShopOrder:
    """The purchase a paid order is: its total, when it was paid, and the buyer's contact details."""
    customer = order.customer or Customer()
    billing = order.billing_address or Address()
    paid_at = order.processed_at or order.created_at or datetime.now(UTC)
    quantity = sum(item.quantity for item in order.line_items)
    return ShopOrder(
        source=SOURCE,
        order_id=order_id(order.id),
        amount=order.total_price,
        currency=order.currency.upper() if order.currency else None,
        paid_at=paid_at if paid_at.tzinfo else paid_at.replace(tzinfo=UTC),
        quantity=quantity or None,
        buyer=Buyer(
            name=_name(customer.first_name, customer.last_name)
            or _name(billing.first_name, billing.last_name)
            or _blank_to_none(billing.name),
            phone=_blank_to_none(customer.phone)
            or _blank_to_none(order.phone)
            or _blank_to_none(billing.phone),
            email=_blank_to_none(customer.email) or _blank_to_none(order.email),
        ),
    )


def shop_refund(refund: Refund) -> ShopRefund:
    """The money a refund returned: its successful refund transactions; a refund that moved no money
    through Shopify (cash at the counter, store credit) counts its line items instead."""
    paid_back = [
        t.amount for t in refund.transactions if t.kind == "refund" and t.status in (None, "success")
    ]
    if paid_back:
        amount = sum(paid_back, Decimal(0))
    else:
        amount = sum((item.subtotal + item.total_tax for item in refund.refund_line_items), Decimal(0))
    return ShopRefund(
        source=SOURCE,
        order_id=order_id(refund.order_id),
        refund_id=f"{SOURCE}-refund:{refund.id}",
        amount=amount,
    )


def _name(first: str | None, last: str | None) -> str | None:
    joined = " ".join(part.strip() for part in (first, last) if part and part.strip())
    return joined or None


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
