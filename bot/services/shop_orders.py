"""Orders and refunds from an online shop's webhook (Shopify, WooCommerce), in the shop's neutral
terms: the adapters in handlers/shops map each platform's payload to these values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Buyer:
    """Who placed the order, as the shop knows them (the phone as typed at checkout)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ShopOrder:
    source: str
    """`shopify` or `woocommerce`: the purchase's source, and the prefix of its order id."""
    order_id: str
    """Ours: `shopify:450789469`, so the shops' numbers never meet the till's or each other."""
    reference: str
    """What the shop's staff call it (`#1001`): kept in the purchase's note."""
    amount: Decimal
    currency: str | None
    paid_at: datetime
    quantity: int | None
    buyer: Buyer


@dataclass(frozen=True)
class ShopRefund:
    source: str
    order_id: str
    """The refunded order's id, ours (`shopify:450789469`)."""
    refund_id: str
    """The refund's own id at the shop: one order can be refunded in several parts."""
    amount: Decimal | None
    """The money returned; None means everything not yet refunded (WooCommerce's `refunded`)."""


@dataclass(frozen=True)
class ShopOutcome:
    """What a webhook delivery did; the adapter logs it and answers it as JSON."""

    status: str
    """`recorded` (a new purchase), `refunded` (points taken back), `repeat` (this delivery, order and
    refunds were all handled before: nothing changed) or `unknown_order` (a refund of an order never
    recorded here: nothing to reverse)."""
    order_id: str
    earned: int = 0
    reversed: int = 0
    customer: str | None = None
    """The customer's id (the business's own `customer_id`), when the order is ours."""

    def summary(self) -> str:
        who = f" (customer {self.customer})" if self.customer else ""
        if self.status == "unknown_order":
            return f"refund of order {self.order_id}, which was never recorded here: nothing to reverse"
        if self.status == "repeat":
            return f"order {self.order_id}{who}: already handled, nothing changed"
        return f"order {self.order_id}{who} {self.status}: +{self.earned} / -{self.reversed} points"

    def to_json(self) -> dict[str, object]:
        return {"status": self.status, "order_id": self.order_id, "earned": self.earned, "reversed": self.reversed}
