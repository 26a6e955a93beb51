"""SPEC §9 "Online shops": Shopify's and WooCommerce's webhooks on the one HTTP server, posted over
real HTTP to the running Starlette app (the bot's Runtime on loopback), with the payload shapes the
platforms document (tests/data/shops/), signed as they sign them.

What a shop owner sees: a paid order becomes a purchase with its points, for the customer matched by
phone or email (or a new one named as in the order); a refund takes the points back (a partial one in
proportion); a forged or unsigned delivery gets 401 and changes nothing; a repeat changes nothing."""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlmodel import select

from bot.app import Runtime
from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import CustomerNotice
from bot.sandbox.telegram import SandboxServer
from bot.services.customers import create_customer, link_chat
from bot.services.inbound import REPLAY_WINDOW, forget_replay_guards
from bot.services.ingest import PURCHASE_POINTS
from bot.services.privacy import export_customer
from handlers.telegram.component import TelegramComponent
from storage.models import Customer, Purchase
from tests.conftest import make_context
from tests.e2e.telegram_harness import FAST, bot_context
from tests.e2e.telegram_harness import fixture_tg_server as fixture_tg_server
from tests.support.bot_process import free_port
from tests.support.outbox import outbox_events

DATA = Path(__file__).resolve().parents[1] / "data" / "shops"
SHOPIFY_SECRET = "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"
WOO_SECRET = "wc-webhook-s3cret with spaces & symbols"
KB = 1024


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def sign(secret: str, body: bytes) -> str:
    """As both shops document it: base64 of the raw body's HMAC-SHA256 under the webhook secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Shop:
    ctx: AppContext
    base: str
    http: httpx.AsyncClient

    async def shopify(
        self, topic: str, payload: dict[str, Any], webhook_id: str, *, secret: str = SHOPIFY_SECRET
    ) -> httpx.Response:
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(secret, body),
            "X-Shopify-Shop-Domain": "leaf-and-co.myshopify.com",
            "X-Shopify-Webhook-Id": webhook_id,
            "X-Shopify-Triggered-At": "2026-12-03T02:41:09.123456789Z",
            "X-Shopify-API-Version": "2025-10",
        }
        return await self.http.post(f"{self.base}/webhooks/shopify", content=body, headers=headers)

    async def woocommerce(
        self, payload: dict[str, Any], *, topic: str = "order.updated", secret: str = WOO_SECRET
    ) -> httpx.Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)",
            "X-WC-Webhook-Source": "https://shop.example.org/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": topic.split(".")[0],
            "X-WC-Webhook-Event": topic.split(".")[-1],
            "X-WC-Webhook-Signature": sign(secret, body),
            "X-WC-Webhook-ID": "14",
            "X-WC-Webhook-Delivery-ID": "8f0e5d0c2b7e4c1f9a3b6d2e1c0f4a7b",
        }
        return await self.http.post(f"{self.base}/webhooks/woocommerce", content=body, headers=headers)

    def customers(self) -> list[Customer]:
        with self.ctx.uow() as uow:
            return list(uow.session.exec(select(Customer).order_by(Customer.id)).all())

    def purchases(self) -> list[Purchase]:
        with self.ctx.uow() as uow:
            return list(uow.session.exec(select(Purchase).order_by(Purchase.id)).all())

    def export(self, customer: Customer) -> dict[str, Any]:
        assert customer.id is not None
        return export_customer(self.ctx.uow(), self.ctx.clock, customer.id)


@pytest_asyncio.fixture
async def shop(database_url: str) -> AsyncIterator[Shop]:
    port = free_port()
    ctx = make_context(
        database_url,
        ManualClock(datetime(2026, 12, 3, 4, 0, tzinfo=UTC)),
        http_port=port,
        shopify_webhook_secret=SHOPIFY_SECRET,
        woocommerce_webhook_secret=WOO_SECRET,
        timezone="Asia/Taipei",
        telegram_bot_token="1:shop-test",  # the setup has Telegram: notices get outbox rows for it
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(Runtime(ctx, [], {}).run(stop, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        async with httpx.AsyncClient(timeout=10) as http:
            yield Shop(ctx, f"http://127.0.0.1:{port}", http)
    finally:
        stop.set()
        await serving
        ctx.close()


def only_customer(shop: Shop) -> Customer:
    [customer] = shop.customers()
    return customer


async def test_a_signed_shopify_paid_order_becomes_a_purchase_with_points_for_a_new_customer(
    shop: Shop,
) -> None:
    response = await shop.shopify(
        "orders/paid", fixture("shopify_orders_paid.json"), "b54557e4-bdd9-4b37-8a5f"
    )

    assert response.status_code == 200
    assert response.json() == {
        "status": "recorded",
        "order_id": "shopify:5843120947301",
        "earned": 84,
        "reversed": 0,
    }
    customer = only_customer(shop)
    assert (customer.name, customer.phone, customer.email) == (
        "Mei Lin",
        "+12065550143",
        "mei.lin@example.com",
    )
    export = shop.export(customer)
    assert export["purchases"] == [
        {
            "order_id": "shopify:5843120947301",
            "date": "2026-12-03",
            "amount": "84.50",
            "currency": "USD",
            "quantity": 3,
            "refunded": False,
            "refunded_amount": "0.00",
        }
    ]
    assert export["points"]["balance"] + export["points"]["pending"] == 84
    [purchase] = shop.purchases()
    assert purchase.source == "shopify"


async def test_a_shopify_order_finds_the_customer_by_phone_then_by_email(shop: Shop) -> None:
    with shop.ctx.uow() as uow:
        create_customer(uow, shop.ctx.clock, external_id="C-7", name="Mei", phone="+12065550143")
        create_customer(uow, shop.ctx.clock, external_id="C-8", name="Ravi", email="ravi@example.com")
    by_email = copy.deepcopy(fixture("shopify_orders_paid.json"))
    by_email["id"] = 5843120947399
    by_email["customer"] = {"id": 1, "email": "Ravi@Example.com", "first_name": "Ravi", "last_name": "K"}
    by_email["billing_address"] = None
    by_email["email"] = "Ravi@Example.com"

    assert (await shop.shopify("orders/paid", fixture("shopify_orders_paid.json"), "w-1")).status_code == 200
    assert (await shop.shopify("orders/paid", by_email, "w-2")).status_code == 200

    owners = {p.order_id: p.customer_id for p in shop.purchases()}
    ids = {c.external_id: c.id for c in shop.customers()}
    assert len(ids) == 2, "nobody new: both buyers were known"
    assert owners == {"shopify:5843120947301": ids["C-7"], "shopify:5843120947399": ids["C-8"]}


async def test_a_badly_signed_or_unsigned_shopify_delivery_gets_401_and_changes_nothing(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    order = fixture("shopify_orders_paid.json")
    forged = await shop.shopify("orders/paid", order, "w-forged", secret="not-the-shop-secret")
    body = json.dumps(order).encode()
    tampered = json.dumps({**order, "total_price": "8450.00"}).encode()
    unsigned = await shop.http.post(
        f"{shop.base}/webhooks/shopify", content=body, headers={"X-Shopify-Topic": "orders/paid"}
    )
    altered = await shop.http.post(
        f"{shop.base}/webhooks/shopify",
        content=tampered,
        headers={"X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": sign(SHOPIFY_SECRET, body)},
    )

    assert [r.status_code for r in (forged, unsigned, altered)] == [401, 401, 401]
    assert shop.customers() == [] and shop.purchases() == []
    # The real delivery is still welcome afterwards: a refused one claimed nothing.
    assert (await shop.shopify("orders/paid", order, "w-forged")).json()["status"] == "recorded"
    assert SHOPIFY_SECRET not in caplog.text


async def test_a_repeated_shopify_webhook_id_changes_nothing_and_tells_the_customer_once(shop: Shop) -> None:
    order = fixture("shopify_orders_paid.json")

    first = await shop.shopify("orders/paid", order, "0f2c1f9e-6a55-4d1b-9d9e-3c6a2b7f1e40")
    again = await shop.shopify("orders/paid", order, "0f2c1f9e-6a55-4d1b-9d9e-3c6a2b7f1e40")
    other_delivery = await shop.shopify("orders/paid", order, "5d0c7a1b-0000-4000-8000-000000000001")

    assert first.json()["status"] == "recorded"
    assert [again.status_code, again.json()["status"]] == [200, "repeat"]
    assert [other_delivery.status_code, other_delivery.json()["status"]] == [200, "repeat"]
    assert len(shop.purchases()) == 1
    customer = only_customer(shop)
    points = shop.export(customer)["points"]
    assert points["balance"] + points["pending"] == 84
    # What the Telegram part turns into a message: one notice in the outbox, for the one purchase.
    notices = [e for e in outbox_events(shop.ctx, "telegram") if isinstance(e, CustomerNotice)]
    assert [(n.customer_id, n.kind, n.receipt) for n in notices] == [(customer.id, PURCHASE_POINTS, True)]


async def test_a_customer_linked_in_telegram_hears_about_a_shop_purchase_once(
    tg_server: SandboxServer, sqlite_url: str
) -> None:
    port = free_port()
    clock = ManualClock(datetime(2026, 12, 3, 4, 0, tzinfo=UTC))
    ctx = bot_context(
        sqlite_url,
        clock,
        tg_server,
        http_port=port,
        shopify_webhook_secret=SHOPIFY_SECRET,
        timezone="Asia/Taipei",
    )
    sandbox = tg_server.sandbox
    user = sandbox.create_user("Mei", language_code="en")
    with ctx.uow() as uow:
        customer = create_customer(uow, clock, external_id="C-7", name="Mei", phone="+12065550143")
        link_chat(uow, clock, customer, platform="telegram", user_id=str(user.id), chat_id=str(user.id))
    stop, ready = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(Runtime(ctx, [TelegramComponent(ctx, FAST)], {}).run(stop, ready))
    try:
        await asyncio.wait_for(ready.wait(), 30)
        async with httpx.AsyncClient(timeout=10) as http:
            shop = Shop(ctx, f"http://127.0.0.1:{port}", http)
            for _ in range(2):  # Shopify redelivers when it did not see the 200 in time
                await shop.shopify("orders/paid", fixture("shopify_orders_paid.json"), "w-told")
            notice = await sandbox.next_bot_message(user.id, timeout=10)
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await serving
        ctx.close()

    assert notice.text == "+84 points for your purchase today — balance 84"
    assert len(sandbox.bot_messages(user.id)) == 1


async def test_a_redelivery_after_its_claim_is_forgotten_still_changes_nothing(shop: Shop) -> None:
    order = fixture("shopify_orders_paid.json")
    await shop.shopify("orders/paid", order, "w-old")
    clock = shop.ctx.clock
    assert isinstance(clock, ManualClock)
    clock.advance(REPLAY_WINDOW + timedelta(hours=1))
    assert forget_replay_guards(shop.ctx.uow(), before=clock.now() - REPLAY_WINDOW) == 1

    late = await shop.shopify("orders/paid", order, "w-old")

    assert late.json()["status"] == "repeat"
    assert len(shop.purchases()) == 1


async def test_a_shopify_refund_takes_back_points_in_proportion_then_the_rest(shop: Shop) -> None:
    await shop.shopify("orders/paid", fixture("shopify_orders_paid.json"), "w-paid")
    refund = fixture("shopify_refunds_create.json")  # 42.25 of 84.50: half the order

    partial = await shop.shopify("refunds/create", refund, "w-refund-1")
    repeated = await shop.shopify("refunds/create", refund, "w-refund-1")
    points = shop.export(only_customer(shop))["points"]

    assert partial.status_code == 200
    assert partial.json() == {
        "status": "refunded",
        "order_id": "shopify:5843120947301",
        "earned": 0,
        "reversed": 42,
    }
    assert repeated.json()["status"] == "repeat"
    assert points["balance"] + points["pending"] == 42

    rest = copy.deepcopy(refund)
    rest["id"] = 981234567013
    rest["transactions"][0]["amount"] = "42.25"
    second = await shop.shopify("refunds/create", rest, "w-refund-2")
    export = shop.export(only_customer(shop))

    assert second.json()["reversed"] == 42
    assert export["points"]["balance"] + export["points"]["pending"] == 0
    assert export["purchases"][0]["refunded"] is True


async def test_a_refund_of_an_order_never_recorded_is_answered_and_changes_nothing(shop: Shop) -> None:
    response = await shop.shopify("refunds/create", fixture("shopify_refunds_create.json"), "w-orphan")

    assert response.status_code == 200 and response.json()["status"] == "unknown_order"
    assert shop.customers() == []


async def test_shopify_test_notifications_and_other_topics_are_answered_and_ignored(shop: Shop) -> None:
    test_order = {**fixture("shopify_orders_paid.json"), "test": True}

    sample = await shop.shopify("orders/paid", test_order, "w-test")
    created = await shop.shopify("orders/create", fixture("shopify_orders_paid.json"), "w-created")

    assert [sample.status_code, sample.json()["status"]] == [200, "ignored"]
    assert [created.status_code, created.json()["status"]] == [200, "ignored"]
    assert shop.purchases() == []


async def test_woocommerce_counts_completed_orders_only_and_reverses_refunded_ones(shop: Shop) -> None:
    order = fixture("woocommerce_order.json")
    processing = {**order, "status": "processing", "date_completed_gmt": None}

    ignored = await shop.woocommerce(processing, topic="order.created")
    assert [ignored.status_code, ignored.json()["status"]] == [200, "ignored"]
    assert shop.purchases() == [] and shop.customers() == []

    completed = await shop.woocommerce(order)
    again = await shop.woocommerce(order)
    customer = only_customer(shop)
    export = shop.export(customer)

    assert completed.json() == {
        "status": "recorded",
        "order_id": "woocommerce:727",
        "earned": 62,
        "reversed": 0,
    }
    assert again.json()["status"] == "repeat"
    assert (customer.name, customer.phone, customer.email) == (
        "Jonas Weber",
        "+4930901820",
        "jonas.weber@example.org",
    )
    assert export["purchases"][0] | {"refunded": False} == {
        "order_id": "woocommerce:727",
        "date": "2026-12-03",
        "amount": "62.90",
        "currency": "EUR",
        "quantity": 4,
        "refunded": False,
        "refunded_amount": "0.00",
    }
    assert export["points"]["balance"] + export["points"]["pending"] == 62

    refunded = await shop.woocommerce(
        {**order, "status": "refunded", "refunds": [{"id": 730, "reason": "", "total": "-62.90"}]}
    )
    export = shop.export(customer)

    assert refunded.json()["status"] == "refunded" and refunded.json()["reversed"] == 62
    assert export["points"]["balance"] + export["points"]["pending"] == 0
    assert export["purchases"][0]["refunded"] is True


async def test_a_woocommerce_partial_refund_takes_back_its_share_once(shop: Shop) -> None:
    order = fixture("woocommerce_order.json")
    await shop.woocommerce(order)
    with_refund = {**order, "refunds": [{"id": 731, "reason": "whisk broken", "total": "-22.00"}]}

    partly = await shop.woocommerce(with_refund)
    later_update = await shop.woocommerce({**with_refund, "customer_note": "thanks!"})
    points = shop.export(only_customer(shop))["points"]

    # 62 points for 62.90; 40.90 kept earns 40 (rounded down, as earning is): 22 go back.
    assert partly.json() == {"status": "refunded", "order_id": "woocommerce:727", "earned": 0, "reversed": 22}
    assert later_update.json()["status"] == "repeat"
    assert points["balance"] + points["pending"] == 40


async def test_an_order_marked_refunded_without_a_listed_refund_takes_back_everything(shop: Shop) -> None:
    order = fixture("woocommerce_order.json")
    await shop.woocommerce(order)

    refunded = await shop.woocommerce({**order, "status": "refunded"})
    again = await shop.woocommerce({**order, "status": "refunded"})

    assert refunded.json()["reversed"] == 62 and again.json()["status"] == "repeat"
    assert shop.export(only_customer(shop))["purchases"][0]["refunded"] is True


async def test_an_order_edited_after_payment_keeps_its_first_recording(shop: Shop) -> None:
    order = fixture("woocommerce_order.json")
    await shop.woocommerce(order)

    edited = await shop.woocommerce({**order, "total": "99.90"})

    assert [edited.status_code, edited.json()["status"]] == [200, "conflict"]
    assert [p.amount for p in shop.purchases()] == [Decimal("62.90")]


async def test_buyers_without_usable_contact_details(shop: Shop) -> None:
    walk_in = {**fixture("shopify_orders_paid.json"), "id": 1, "customer": None, "email": None}
    walk_in["billing_address"] = None
    bad_phone = copy.deepcopy(fixture("woocommerce_order.json"))
    bad_phone["billing"]["phone"] = "12"
    with shop.ctx.uow() as uow:  # a family phone: two customers share it
        create_customer(uow, shop.ctx.clock, external_id="F-1", name="Ann", phone="+12065550143")
        create_customer(uow, shop.ctx.clock, external_id="F-2", name="Bo", phone="+12065550143")

    nobody = await shop.shopify("orders/paid", walk_in, "w-walk-in")
    typo = await shop.woocommerce(bad_phone)
    shared = await shop.shopify("orders/paid", fixture("shopify_orders_paid.json"), "w-family")

    assert [nobody.status_code, nobody.json()["status"]] == [200, "no_customer"]
    assert typo.json()["status"] == shared.json()["status"] == "recorded"
    made = {c.email: c for c in shop.customers() if c.external_id not in ("F-1", "F-2")}
    assert set(made) == {"jonas.weber@example.org", "mei.lin@example.com"}
    assert made["jonas.weber@example.org"].phone is None
    assert made["mei.lin@example.com"].phone is None, "the shared phone stays with the family"
    assert len(shop.purchases()) == 2


async def test_woocommerce_s_ping_on_saving_the_webhook_is_answered_and_a_bad_signature_is_not(
    shop: Shop,
) -> None:
    ping = await shop.http.post(
        f"{shop.base}/webhooks/woocommerce",
        content=b"webhook_id=14",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    forged = await shop.woocommerce(fixture("woocommerce_order.json"), secret="guessed")

    assert ping.status_code == 200
    assert forged.status_code == 401
    assert shop.purchases() == [] and shop.customers() == []


async def test_a_webhook_body_over_256_kb_gets_413_and_changes_nothing(shop: Shop) -> None:
    order = fixture("shopify_orders_paid.json")
    order["note"] = "x" * (300 * KB)

    response = await shop.shopify("orders/paid", order, "w-huge")

    assert response.status_code == 413
    assert shop.purchases() == []


async def test_without_its_secret_a_shop_route_answers_503_and_logs_which_setting_is_missing(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    ctx = make_context(sqlite_url, ManualClock(datetime(2026, 12, 3, tzinfo=UTC)), http_port=port)
    stop, ready = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(Runtime(ctx, [], {}).run(stop, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        body = json.dumps(fixture("shopify_orders_paid.json")).encode()
        with caplog.at_level(logging.WARNING):
            async with httpx.AsyncClient(timeout=10) as http:
                shopify = await http.post(
                    f"http://127.0.0.1:{port}/webhooks/shopify",
                    content=body,
                    headers={"X-Shopify-Topic": "orders/paid", "X-Shopify-Hmac-Sha256": sign("", body)},
                )
                woo = await http.post(
                    f"http://127.0.0.1:{port}/webhooks/woocommerce", content=b"webhook_id=3"
                )
    finally:
        stop.set()
        await serving
        ctx.close()

    assert (shopify.status_code, woo.status_code) == (503, 503)
    assert "SHOPIFY_WEBHOOK_SECRET is not set" in caplog.text
    assert "WOOCOMMERCE_WEBHOOK_SECRET is not set" in caplog.text
