"""Reading the shops' documented payloads (tests/data/shops/) into purchases and refunds, and their
signature: the parts of the webhooks that need no server."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from handlers.shops import shopify_payloads as shopify
from handlers.shops import woocommerce_payloads as woo
from handlers.shops.signing import signature_matches

DATA = Path(__file__).resolve().parents[1] / "data" / "shops"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def test_the_signature_is_base64_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"id":1}'
    good = base64.b64encode(hmac.new(b"k", body, hashlib.sha256).digest()).decode()

    assert signature_matches("k", body, good)
    assert not signature_matches("k", body + b" ", good)
    assert not signature_matches("other", body, good)
    assert not signature_matches("k", body, None)
    assert not signature_matches("k", body, "")
    assert not signature_matches("k", body, "ünïcode")


def test_a_shopify_order_reads_as_its_total_paid_time_and_buyer() -> None:
    order = shopify.shop_order(shopify.Order.model_validate(load("shopify_orders_paid.json")))

    assert (order.order_id, order.amount, order.currency, order.quantity) == (
        "shopify:5843120947301",
        Decimal("84.50"),
        "USD",
        3,
    )
    assert order.paid_at == datetime(2026, 12, 3, 2, 41, 5, tzinfo=UTC)
    assert (order.buyer.name, order.buyer.phone, order.buyer.email) == (
        "Mei Lin",
        "+12065550143",
        "mei.lin@example.com",
    )


def test_a_shopify_buyer_without_a_customer_record_comes_from_the_billing_address() -> None:
    data = {**load("shopify_orders_paid.json"), "customer": None, "email": ""}

    buyer = shopify.shop_order(shopify.Order.model_validate(data)).buyer

    assert (buyer.name, buyer.phone, buyer.email) == ("Mei Lin", "(206) 555-0143", None)


def test_a_shopify_refund_counts_successful_refund_transactions_else_its_line_items() -> None:
    data = load("shopify_refunds_create.json")
    failed = {**data["transactions"][0], "status": "failure", "amount": "99.00"}
    with_failure = {**data, "transactions": [*data["transactions"], failed]}
    cash = {**data, "transactions": []}

    assert shopify.shop_refund(shopify.Refund.model_validate(with_failure)).amount == Decimal("42.25")
    refund = shopify.shop_refund(shopify.Refund.model_validate(cash))
    assert (refund.order_id, refund.refund_id, refund.amount) == (
        "shopify:5843120947301",
        "shopify-refund:981234567012",
        Decimal("42.25"),
    )


def test_a_woocommerce_order_reads_its_gmt_dates_as_utc_and_its_refunds_as_positive_amounts() -> None:
    data = {**load("woocommerce_order.json"), "refunds": [{"id": 9, "reason": "", "total": "-5.50"}]}

    order = woo.Order.model_validate(data)
    purchase = woo.shop_order(order)

    assert purchase.paid_at == datetime(2026, 12, 2, 16, 28, 10, tzinfo=UTC)
    assert (purchase.order_id, purchase.amount, purchase.currency, purchase.quantity) == (
        "woocommerce:727",
        Decimal("62.90"),
        "EUR",
        4,
    )
    assert purchase.buyer.name == "Jonas Weber"
    assert [(r.refund_id, r.amount) for r in woo.partial_refunds(order)] == [
        ("woocommerce-refund:9", Decimal("5.50"))
    ]


def test_only_woocommerce_s_form_encoded_ping_is_a_ping() -> None:
    assert woo.is_ping(b"webhook_id=14")
    assert not woo.is_ping(b'{"webhook_id": 14}')
    assert not woo.is_ping(b"webhook_id=14&status=completed")
