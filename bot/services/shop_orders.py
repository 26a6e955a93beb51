"""Orders and refunds from an online shop's webhook (Shopify, WooCommerce), in neutral terms: the
adapters in handlers/shops map each platform's payload to these values, and `settle_shop_order`
applies one delivery in one transaction through the ingest service (bot/services/ingest.py).

Exactly once: a delivery id (Shopify's X-Shopify-Webhook-Id) is claimed in the transaction that
records its effects; beneath it, an order id is recorded once and a refund id reversed once, so a
delivery whose claim was forgotten (after three days), or a platform without stable delivery ids
(WooCommerce), still changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.errors import AmbiguousCustomer, SuppressedCustomer
from bot.services.inbound import claim_inbound
from bot.services.ingest import (
    CustomerRef,
    LivePurchase,
    OrderConflict,
    find_or_create_customer,
    record_live_purchase,
    record_live_purchase_for,
    record_live_refund,
)
from bot.text.phone import InvalidPhoneNumber, normalize_phone
from storage import repositories as repo
from storage.models import Refund as RefundRow
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


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
    """Ours: `shopify:450789469` (the number in the shop admin's address of the order), so the shops'
    numbers never meet the till's or each other."""
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
    refunds were all handled before: nothing changed), `unknown_order` (a refund of an order never
    recorded here: nothing to reverse), `no_customer` (no phone or e-mail: nobody to credit),
    `suppressed` (the buyer was erased at their request: not recorded again) or `conflict` (the
    order id was recorded with another amount or buyer: the first recording stands)."""
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
        if self.status == "no_customer":
            return f"order {self.order_id} names no phone or e-mail: nobody to credit, not recorded"
        if self.status == "suppressed":
            return f"order {self.order_id}: the buyer was erased at their request (suppressed), not recorded"
        if self.status == "conflict":
            return f"order {self.order_id} was recorded before with another amount or buyer: kept as it was"
        return f"order {self.order_id}{who} {self.status}: +{self.earned} / -{self.reversed} points"

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "order_id": self.order_id,
            "earned": self.earned,
            "reversed": self.reversed,
        }


def settle_shop_order(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    *,
    default_region: str,
    delivery: tuple[str, str] | None = None,
    order: ShopOrder | None = None,
    refunds: Sequence[ShopRefund] = (),
) -> ShopOutcome:
    """Apply one webhook delivery: record `order` (if any) for the customer matched by phone, then
    e-mail, else created; then each of `refunds`, in order. `delivery` is (platform, delivery id),
    claimed once: a repeat changes nothing. One transaction: all of it happens, or none."""
    order_id = order.order_id if order is not None else refunds[0].order_id if refunds else ""
    with uow:
        if delivery is not None and not claim_inbound(
            uow, platform=delivery[0], key=delivery[1], now=clock.now()
        ):
            return ShopOutcome("repeat", order_id)
        status, earned, customer = "repeat", 0, None
        if order is not None:
            status, purchase = _record(uow, clock, rules, tz, order, default_region)
            if purchase is None:
                return ShopOutcome(status, order_id)
            earned, customer = (purchase.points if purchase.created else 0), purchase.customer.external_id
        reversed_points = 0
        for refund in refunds:
            if repo.purchase_by_order_id(uow.session, refund.order_id) is None:
                return ShopOutcome("unknown_order", order_id)
            taken = _refund(uow, clock, refund)
            if taken is not None:
                status, reversed_points = "refunded", reversed_points + taken[0]
                customer = taken[1]
        return ShopOutcome(status, order_id, earned=earned, reversed=reversed_points, customer=customer)


def _record(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo, order: ShopOrder, default_region: str
) -> tuple[str, LivePurchase | None]:
    """Record the order as a live purchase (points, the customer's notice): (`recorded` or `repeat`,
    the purchase), or (`no_customer` / `conflict`, None) when nothing could be recorded."""
    buyer = order.buyer
    phone = _dialable(buyer.phone, default_region, order.order_id)
    if phone is None and buyer.email is None:
        return "no_customer", None
    try:
        with uow:
            purchase = record_live_purchase_for(
                uow,
                clock,
                rules,
                tz,
                who=CustomerRef(phone=phone, email=buyer.email, name=buyer.name),
                default_region=default_region,
                order_id=order.order_id,
                amount=order.amount,
                currency=order.currency,
                purchased_on=order.paid_at.astimezone(tz).date(),
                quantity=order.quantity,
                source=order.source,
            )
    except OrderConflict:
        # An order edited after payment (another total), or its buyer's details changed since:
        # the first recording stands.
        return "conflict", None
    except SuppressedCustomer:
        return "suppressed", None
    except AmbiguousCustomer:
        try:
            purchase = _record_for_one_of_many(uow, clock, rules, tz, order, default_region)
        except SuppressedCustomer:
            return "suppressed", None
    return ("recorded" if purchase.created else "repeat"), purchase


def _record_for_one_of_many(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo, order: ShopOrder, default_region: str
) -> LivePurchase:
    """Several customers share the order's phone (or e-mail), and the other detail does not tell them
    apart: the e-mail alone decides if it can, else the buyer is a new customer named as in the order
    (without the shared details), for staff to merge. Nobody is guessed (docs/decisions.md)."""
    buyer = order.buyer
    log.info("order %s: several customers share its contact details; not guessing", order.order_id)
    customer = None
    if buyer.email is not None:
        try:
            customer = find_or_create_customer(
                uow,
                clock,
                email=buyer.email,
                name=buyer.name,
                default_region=default_region,
                source=order.source,
            )
        except AmbiguousCustomer:
            customer = None
    if customer is None:
        customer = find_or_create_customer(
            uow,
            clock,
            customer_id=order.order_id.replace(":", "-"),
            name=buyer.name,
            default_region=default_region,
            source=order.source,
        )
    return record_live_purchase(
        uow,
        clock,
        rules,
        tz,
        customer=customer,
        order_id=order.order_id,
        amount=order.amount,
        currency=order.currency,
        purchased_on=order.paid_at.astimezone(tz).date(),
        quantity=order.quantity,
        source=order.source,
    )


def _refund(uow: UnitOfWork, clock: Clock, refund: ShopRefund) -> tuple[int, str] | None:
    """Take back the refund's share of the order's points, once per refund id: (points taken back,
    the customer's id), or None when it changed nothing (seen before, no money, nothing left)."""
    purchase = repo.purchase_by_order_id(uow.session, refund.order_id)
    assert purchase is not None
    seen = uow.session.exec(select(RefundRow).where(RefundRow.refund_key == refund.refund_id)).first()
    left = purchase.amount - purchase.refunded_amount
    if seen is not None or left <= 0 or purchase.refunded_at is not None:
        return None
    if refund.amount is not None and refund.amount <= 0:
        return None
    # More than is left (a refund of shipping or tax on top of an order edited down): all that is left.
    amount = None if refund.amount is None or refund.amount >= left else refund.amount
    done = record_live_refund(
        uow, clock, order_id=refund.order_id, amount=amount, refund_key=refund.refund_id, source=refund.source
    )
    return done.refund.points_reversed, done.customer.external_id


def _dialable(phone: str | None, default_region: str, order_id: str) -> str | None:
    """The phone in E.164, or None: a number typed wrong at checkout must not lose the order, so the
    e-mail alone matches then."""
    if phone is None:
        return None
    try:
        return normalize_phone(phone, default_region)
    except (InvalidPhoneNumber, ValueError):
        log.info("order %s: its phone number is not dialable; matching by e-mail only", order_id)
        return None
