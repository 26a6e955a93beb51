"""The HTTP API under /api/v1 (SPEC §9), through the real Starlette app on loopback (the one HTTP
server's app, body limit included), with httpx as the till or online shop, a real database, and
the Telegram sandbox for what the customer hears."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.config.rules import ApiRules, BusinessRules
from bot.importing.records import PurchaseRecord
from bot.sandbox.telegram import SandboxServer
from bot.services.api_keys import revoke_api_key
from bot.services.customers import create_customer, link_chat
from bot.services.erasure import forget_customer
from bot.services.imports import import_purchases
from storage.models import AuditLog, Customer, PointsEntry, Purchase
from tests.conftest import make_context
from tests.e2e.telegram_harness import bot_context, running
from tests.e2e.telegram_harness import fixture_tg_server as fixture_tg_server
from tests.support.api import Api, serving

PURCHASES = "/api/v1/purchases"


def purchase(order_id: str, amount: Any = "42.50", **customer: str) -> dict[str, Any]:
    return {"customer": customer or {"customer_id": "C1"}, "order_id": order_id, "amount": amount}


@pytest.fixture
async def api(database_url: str, clock: ManualClock) -> AsyncIterator[Api]:
    ctx = make_context(database_url, clock)
    ctx.rules = BusinessRules(api=ApiRules(requests_per_second=2, burst=10))
    async with serving(ctx) as api:
        yield api
    ctx.close()


async def test_a_purchase_credits_points_and_the_linked_customer_hears_at_once(
    tg_server: SandboxServer, sqlite_url: str, clock: ManualClock
) -> None:
    ctx = bot_context(sqlite_url, clock, tg_server)
    sandbox = tg_server.sandbox
    user = sandbox.create_user("Mei", language_code="zh-hant")
    with ctx.uow() as uow:
        customer = create_customer(uow, ctx.clock, external_id="C1", name="Mei", language="zh-Hant")
        link_chat(uow, ctx.clock, customer, platform="telegram", user_id=str(user.id), chat_id=str(user.id))
    history = [PurchaseRecord("C1", date(2026, 2, n), Decimal(100), f"old-{n}") for n in (1, 2)]
    async with running(ctx) as telegram, serving(ctx, telegram.routes) as api:
        # imported history is silent, even when it earns points
        await ctx.call(import_purchases, ctx.clock, ctx.rules, ctx.settings.tz, history, award_points=True)
        first = await api.post(PURCHASES, purchase("T-1001", "42.50"))
        assert first.status_code == 201, first.text
        assert first.json() == {
            "order_id": "T-1001",
            "customer_id": "C1",
            "amount": "42.50",
            "currency": None,
            "date": "2026-03-02",
            "quantity": None,
            "points_earned": 42,
            "balance": 242,
            "pending": 0,
        }
        notice = await sandbox.next_bot_message(user.id, timeout=5)
        assert notice.text == "今天消費獲得 +42 點，目前餘額 242"
        second = await api.post(PURCHASES, purchase("T-1002", 70))
        assert second.json()["balance"] == 312
        assert (
            await sandbox.next_bot_message(user.id, timeout=5)
        ).text == "今天消費獲得 +70 點，目前餘額 312"
    assert len(sandbox.bot_messages(user.id)) == 2


async def test_the_notice_is_english_for_an_english_customer_and_ignores_the_promotions_opt_out(
    tg_server: SandboxServer, sqlite_url: str, clock: ManualClock
) -> None:
    ctx = bot_context(sqlite_url, clock, tg_server)
    clock.set(clock.now().replace(hour=23))  # outside the 10:00-20:00 window of automated sends
    sandbox = tg_server.sandbox
    user = sandbox.create_user("Ann", language_code="en")
    with ctx.uow() as uow:
        customer = create_customer(uow, ctx.clock, external_id="C1", name="Ann")
        customer.allows_promotions = False  # sent /stop
        link_chat(uow, ctx.clock, customer, platform="telegram", user_id=str(user.id), chat_id=str(user.id))
    async with running(ctx) as telegram, serving(ctx, telegram.routes) as api:
        for order, amount in (("A-1", "42"), ("A-2", "270")):  # two within minutes: no 24-hour wait
            assert (await api.post(PURCHASES, purchase(order, amount))).status_code == 201
        texts = [(await sandbox.next_bot_message(user.id, timeout=5)).text for _ in range(2)]
    assert texts == [
        "+42 points for your purchase today — balance 42",
        "+270 points for your purchase today — balance 312",
    ]


async def test_the_same_order_again_answers_the_same_body_and_changes_nothing(api: Api) -> None:
    first = await api.post(PURCHASES, purchase("T-1", "100", phone="+1 415 555 0123", name="Ann"))
    assert first.status_code == 201, first.text
    counts = (api.count(Purchase), api.count(PointsEntry), api.count(Customer))
    await api.post(PURCHASES, purchase("T-2", "5", phone="+14155550123"))  # balance moves on
    again = await api.post(PURCHASES, purchase("T-1", "100.00", phone="(415) 555-0123"))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert (api.count(Purchase), api.count(PointsEntry), api.count(Customer)) == (
        counts[0] + 1,
        counts[1] + 1,
        counts[2],
    )
    other = await api.post(PURCHASES, purchase("T-1", "99", phone="+14155550123"))
    assert other.status_code == 409
    assert "another customer or amount" in other.json()["error"]


async def test_bad_fields_are_named_one_message_each_and_nothing_is_recorded(api: Api) -> None:
    response = await api.post(
        PURCHASES,
        {
            "customer": {"phone": "12", "email": "not-an-email"},
            "order_id": "",
            "amount": "-5",
            "currency": "XYZ",
            "date": "2999-01-01",
            "quantity": -1,
            "colour": "red",
        },
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {
        "customer.phone",
        "customer.email",
        "order_id",
        "amount",
        "currency",
        "date",
        "quantity",
        "colour",
    }
    assert "negative" in fields["amount"] and fields["colour"] == "unknown field"
    assert "not a valid number" in fields["customer.phone"]
    missing = await api.post(PURCHASES, {"customer": {}, "order_id": "X"})
    assert missing.json()["fields"] == {
        "customer": "give a customer_id, a phone or an email",
        "amount": "required",
    }
    not_json = await api.client.post(PURCHASES, content=b"{oops", headers=api.as_key(api.key))
    assert not_json.status_code == 400 and "body" in not_json.json()["fields"]
    assert api.count(Purchase) == 0


async def test_amount_texts_are_read_as_the_import_reads_them(api: Api) -> None:
    response = await api.post(PURCHASES, purchase("T-9", "$1,234.50"))
    assert response.status_code == 201 and response.json()["amount"] == "1234.50"


async def test_without_a_valid_key_the_answer_is_401(api: Api) -> None:
    for key in (None, "rbk_wrong", "Basic abc"):
        response = await api.post(PURCHASES, purchase("T-1"), key=key)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "error" in response.json()
    assert api.count(Purchase) == 0


async def test_a_revoked_key_is_refused_at_once(api: Api) -> None:
    key = api.new_key("webshop")
    assert (await api.post(PURCHASES, purchase("W-1"), key=key)).status_code == 201
    revoke_api_key(api.ctx.uow(), api.ctx.clock, name="webshop")
    refused = await api.post(PURCHASES, purchase("W-2"), key=key)
    assert refused.status_code == 401 and refused.json() == {
        "error": "the API key is not valid (unknown or revoked)"
    }
    assert (await api.post(PURCHASES, purchase("W-3"))).status_code == 201  # other keys still work


async def test_unknown_customer_and_order_are_404(api: Api) -> None:
    missing = await api.get("/api/v1/customers/NOPE")
    assert missing.status_code == 404 and missing.json() == {"error": "no customer matches 'NOPE'"}
    refund = await api.post("/api/v1/refunds", {"order_id": "never"})
    assert refund.status_code == 404 and "never" in refund.json()["error"]
    route = await api.get("/api/v1/nothing-here")
    assert route.status_code == 404 and "error" in route.json()


async def test_a_body_over_256_kb_is_413_in_json(api: Api) -> None:
    body = purchase("BIG-1") | {"padding": "x" * (300 * 1024)}
    response = await api.post(PURCHASES, body)
    assert response.status_code == 413
    assert response.json() == {"error": "request body too large: the limit is 256 KB"}
    assert api.count(Purchase) == 0


async def test_a_key_past_its_rate_gets_429_with_retry_after(api: Api) -> None:
    key = api.new_key("busy-till")
    statuses = [(await api.get("/api/v1/customers/NOPE", key=key)) for _ in range(14)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, [r.status_code for r in statuses]
    assert int(limited[0].headers["retry-after"]) >= 1
    assert "busy-till" in limited[0].json()["error"]
    assert (await api.get("/api/v1/customers/NOPE")).status_code == 404  # other keys are not slowed


async def test_refunds_take_back_points_in_proportion(api: Api) -> None:
    assert (await api.post(PURCHASES, purchase("R-1", "100"))).json()["balance"] == 100
    part = await api.post("/api/v1/refunds", {"order_id": "R-1", "amount": "33.50", "refund_id": "ref-1"})
    assert part.status_code == 201, part.text
    assert part.json() == {
        "order_id": "R-1",
        "refund_id": "ref-1",
        "customer_id": "C1",
        "amount": "33.50",
        "refunded_total": "33.50",
        "fully_refunded": False,
        "points_reversed": 34,
        "points_not_recoverable": 0,
        "balance": 66,
        "pending": 0,
    }
    repeat = await api.post("/api/v1/refunds", {"order_id": "R-1", "amount": "33.50", "refund_id": "ref-1"})
    assert repeat.status_code == 200 and repeat.json() == part.json()
    too_much = await api.post("/api/v1/refunds", {"order_id": "R-1", "amount": 80})
    assert too_much.status_code == 409 and "66.50" in too_much.json()["error"]
    rest = await api.post("/api/v1/refunds", {"order_id": "R-1"})
    assert rest.status_code == 201
    assert (rest.json()["points_reversed"], rest.json()["balance"], rest.json()["fully_refunded"]) == (
        66,
        0,
        True,
    )
    again = await api.post("/api/v1/refunds", {"order_id": "R-1", "amount": "1"})
    assert again.status_code == 409 and "already refunded" in again.json()["error"]
    zero = await api.post("/api/v1/refunds", {"order_id": "R-1", "amount": "0"})
    assert zero.status_code == 400 and set(zero.json()["fields"]) == {"amount"}


async def test_put_creates_then_updates_a_customer_and_get_shows_their_status(api: Api) -> None:
    created = await api.put(
        "/api/v1/customers/C7",
        {"name": "Lin  Wei", "phone": "+886 912 345 678", "language": "zh-TW", "tags": ["vip", "walk-in"]},
    )
    assert created.status_code == 201, created.text
    await api.post(PURCHASES, purchase("P-7", "600", customer_id="C7"))
    updated = await api.put("/api/v1/customers/C7", {"email": "Lin@Example.COM"})
    assert updated.status_code == 200
    shown = await api.get("/api/v1/customers/C7")
    assert shown.json() == {
        "customer_id": "C7",
        "name": "Lin Wei",
        "points": 600,
        "pending": 0,
        "tier": "Silver",
        "segment": None,
        "stage": None,
        "open_coupons": [],
    }
    with api.ctx.uow() as uow:
        customer = uow.session.exec(select(Customer).where(Customer.external_id == "C7")).one()
        assert (customer.phone, customer.email, customer.language, customer.tags) == (
            "+886912345678",
            "Lin@example.com",
            "zh-Hant",
            "vip,walk-in",
        )
        actors = set(
            uow.session.exec(select(AuditLog.actor).where(AuditLog.customer_id == customer.id)).all()
        )
    assert actors == {"api:till-1"}  # every use is attributed to the key
    bad = await api.put("/api/v1/customers/C7", {"birthday": "31/02/2000", "language": "fr"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"birthday", "language"}


async def test_openapi_describes_every_route_and_schema(api: Api) -> None:
    response = await api.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert set(document["paths"]) == {
        "/api/v1/purchases",
        "/api/v1/refunds",
        "/api/v1/customers/{customer_id}",
        "/api/v1/coupons/{code}",
        "/api/v1/coupons/{code}/redeem",
    }
    assert set(document["paths"]["/api/v1/customers/{customer_id}"]) == {"get", "put"}
    redeem = document["paths"]["/api/v1/coupons/{code}/redeem"]["post"]
    assert set(redeem["responses"]) >= {"200", "401", "404", "409", "429"}
    refused = redeem["responses"]["409"]["content"]["application/json"]["schema"]
    assert refused == {"$ref": "#/components/schemas/CouponRefusedOut"}
    post = document["paths"]["/api/v1/purchases"]["post"]
    assert set(post["responses"]) >= {"200", "201", "400", "401", "409", "413", "429"}
    assert {
        "PurchaseIn",
        "PurchaseOut",
        "RefundIn",
        "CustomerOut",
        "CouponOut",
        "CouponDetailOut",
        "ErrorOut",
    } <= set(document["components"]["schemas"])


@pytest.mark.postgres
async def test_fifty_concurrent_posts_of_one_order_record_one_purchase(
    postgres_url: str, clock: ManualClock
) -> None:
    ctx = make_context(postgres_url, clock)
    ctx.rules = BusinessRules(api=ApiRules(burst=200))
    async with serving(ctx) as api:
        body = purchase("RACE-1", "88.80", customer_id="NEW-1", phone="+14155550199")
        responses = await asyncio.gather(*(api.post(PURCHASES, body) for _ in range(50)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 49 + [201], statuses
        assert {r.text for r in responses} == {responses[0].text}
        assert (api.count(Purchase), api.count(PointsEntry), api.count(Customer)) == (1, 1, 1)
    with ctx.uow() as uow:
        assert uow.session.exec(select(Purchase.amount)).one() == Decimal("88.80")
    ctx.close()


async def test_an_erased_person_is_not_brought_back_by_a_purchase(api: Api) -> None:
    """SPEC §10: the suppression list stops the API from re-creating a forgotten customer."""
    first = await api.post(PURCHASES, purchase("T-1", "10", phone="+1 415 555 0123", email="ann@example.com"))
    assert first.status_code == 201, first.text
    with api.ctx.uow() as uow:
        ann = uow.session.exec(select(Customer)).one()
        assert ann.id is not None
        ann_id = ann.id
    forget_customer(api.ctx.uow(), api.ctx.clock, customer_id=ann_id, actor="test")
    customers = api.count(Customer)
    for who in ({"phone": "(415) 555-0123"}, {"email": "ANN@example.com"}):
        again = await api.post(PURCHASES, purchase("T-2", "10", **who))
        assert again.status_code == 409, again.text
        assert "erased at their request" in again.json()["error"]
    assert api.count(Customer) == customers
    assert (await api.post(PURCHASES, purchase("T-3", "10", phone="+14155550199"))).status_code == 201
