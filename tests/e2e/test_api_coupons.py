"""Coupons at the till (SPEC §9): GET /api/v1/coupons/{code}, POST /api/v1/coupons/{code}/redeem,
and the open coupons of GET /api/v1/customers/{id}, through the real Starlette app on loopback.

The race is the one a shop meets: a till redeems a coupon at the moment a staff member presses
Slack's **Mark used** (the real Bolt app against the sandbox Slack) on the same database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.jobs.automations import open_offers
from bot.services import winback
from bot.services.coupons import void_coupon
from bot.services.rewards import redeem
from storage import repositories as repo
from storage.models import AuditLog, Coupon
from tests.conftest import make_context
from tests.services.helpers import buy, new_customer
from tests.support.api import Api, serving
from tests.support.slack_world import slack_world


def give_coupon(ctx: AppContext, external_id: str = "C1", key: str = "r1", name: str = "Ann Lee") -> str:
    """ "5 off your next purchase", redeemed at 12:00 UTC on 2 March (valid through 1 April): the code."""
    with ctx.uow() as uow:
        found = repo.customer_by_external_id(uow.session, external_id)
    customer = found or new_customer(ctx, external_id, name=name)
    buy(ctx, customer, "150", order_id=f"order-{external_id}-{key}")
    assert customer.id is not None
    result = redeem(
        ctx.uow(), ctx.clock, ctx.rules, customer_id=customer.id, reward_code="five_off", request_key=key
    )
    assert result.coupon is not None
    return result.coupon.code


def coupon_uses(ctx: AppContext) -> list[str]:
    with ctx.uow() as uow:
        return list(
            uow.session.exec(
                select(AuditLog.actor).where(AuditLog.action == "coupon.use").order_by(col(AuditLog.id))
            ).all()
        )


@pytest.fixture
async def api(database_url: str, clock: ManualClock) -> AsyncIterator[Api]:
    ctx = make_context(database_url, clock)
    async with serving(ctx) as api:
        yield api
    ctx.close()


def redeem_path(code: str) -> str:
    return f"/api/v1/coupons/{code}/redeem"


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_till_and_slacks_mark_used_at_the_same_moment_use_the_coupon_once(
    database: str, clock: ManualClock, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(f"{database}_url")
    async with slack_world(url, clock) as world, serving(world.ctx) as api:
        code = give_coupon(world.ctx)
        await world.crm(f"coupon {code}", user=world.alice)
        card = world.last_ephemeral(world.alice)
        clock.advance(timedelta(hours=1))

        till, click = await asyncio.gather(
            api.post(redeem_path(code), None),
            world.driver.press_button("coupon_use", user=world.alice, channel=world.channel, ts=card["ts"]),
        )
        await world.settle()

        assert click.status == 200
        slack_said = world.driver.ephemerals(user=world.alice)[-1]["text"]
        uses = coupon_uses(world.ctx)
        assert len(uses) == 1, uses  # used once, whoever won
        if till.status_code == 200:  # the till won: Slack's press is refused, naming the till
            assert uses == ["api:till-1"] and till.json()["used_by"] == "api:till-1"
            assert slack_said.startswith("Not done: this coupon was already used on Mar 2, 2026 13:00")
            assert "api:till-1" in slack_said
        else:  # Slack won: the till gets 409 "used", with when and by whom
            assert till.status_code == 409, till.text
            body = till.json()
            assert uses == [f"slack:{world.alice}"]
            assert body["reason"] == "used" and body["coupon"]["used_by"] == f"slack:{world.alice}"
            assert body["coupon"]["used_at"].startswith("2026-03-02T13:00")
            assert "used already" in body["error"]
            assert slack_said == ":white_check_mark: Marked used. The customer gets: 5 off your next purchase"
        with world.ctx.uow() as uow:
            assert uow.session.exec(select(Coupon.state).where(Coupon.code == code)).one() == "used"


async def test_get_shows_the_state_and_redeem_uses_a_coupon_once(api: Api, clock: ManualClock) -> None:
    code = give_coupon(api.ctx)
    typed = code.lower().replace("-", " ")  # as a cashier types it

    before = await api.get(f"/api/v1/coupons/{typed}")
    assert before.status_code == 200, before.text
    assert before.json() == {
        "code": code,
        "kind": "reward",
        "item": "five_off",
        "title": "5 off your next purchase",
        "titles": {
            "en": "5 off your next purchase",
            "zh-Hans": "下次消费减 5 元",
            "zh-Hant": "下次消費折抵 5 元",
        },
        "issued_at": "2026-03-02T12:00:00Z",
        "expires_at": "2026-04-02T00:00:00Z",
        "last_valid_day": "2026-04-01",
        "state": "issued",
        "customer_id": "C1",
        "customer_name": "Ann Lee",
        "used_at": None,
        "used_by": None,
        "voided_at": None,
        "voided_by": None,
    }
    clock.advance(timedelta(minutes=5))
    used = await api.post(redeem_path(typed), None)
    again = await api.post(redeem_path(code), None)
    after = await api.get(f"/api/v1/coupons/{code}")

    assert used.status_code == 200, used.text
    assert (used.json()["state"], used.json()["used_by"]) == ("used", "api:till-1")
    assert again.status_code == 409
    assert again.json()["reason"] == "used"
    assert again.json()["error"] == f"coupon {code} was used already, at 2026-03-02T12:05+00:00 by api:till-1"
    assert after.json()["state"] == "used" and after.json()["used_at"] == "2026-03-02T12:05:00Z"
    assert coupon_uses(api.ctx) == ["api:till-1"]


async def test_an_expired_coupon_is_refused_409_with_its_last_valid_day(api: Api, clock: ManualClock) -> None:
    code = give_coupon(api.ctx)
    clock.advance(timedelta(days=31))  # 2 April, 12:00: 1 April was the last day

    refused = await api.post(redeem_path(code), None)
    shown_now = await api.get(f"/api/v1/coupons/{code}")

    assert refused.status_code == 409
    body = refused.json()
    assert body["reason"] == "expired" and body["coupon"]["last_valid_day"] == "2026-04-01"
    assert body["error"] == f"coupon {code} expired: its last valid day was 2026-04-01"
    assert shown_now.json()["state"] == "expired"
    assert coupon_uses(api.ctx) == []


async def test_a_void_coupon_is_refused_409_void(api: Api) -> None:
    code = give_coupon(api.ctx)
    void_coupon(api.ctx.uow(), api.ctx.clock, code, actor="slack:UBOSS", actor_role="admin")

    refused = await api.post(redeem_path(code), None)

    assert refused.status_code == 409
    assert refused.json()["reason"] == "void" and refused.json()["coupon"]["voided_by"] == "slack:UBOSS"


async def test_an_unknown_code_is_404_and_a_key_is_needed(api: Api) -> None:
    give_coupon(api.ctx)
    for typed in ("ZZZZ-ZZZZ-ZZZZ", "not-a-code"):
        for response in (await api.get(f"/api/v1/coupons/{typed}"), await api.post(redeem_path(typed), None)):
            assert response.status_code == 404, response.text
            assert response.json()["error"].startswith("no coupon has the code")
    assert (await api.get("/api/v1/coupons/ZZZZ-ZZZZ-ZZZZ", key=None)).status_code == 401
    assert coupon_uses(api.ctx) == []


async def test_get_customer_lists_open_reward_and_winback_coupons_and_drops_a_used_one(api: Api) -> None:
    ctx = api.ctx
    first, second = give_coupon(ctx, key="r1"), give_coupon(ctx, key="r2")
    with ctx.uow() as uow:
        customer = repo.customer_by_external_id(uow.session, "C1")
        assert customer is not None and customer.id is not None
        customer_id = customer.id
    winback.queue_offers(ctx.uow(), ctx.clock, ctx.rules, customer_ids=[customer_id], episode="2026-03-02")
    (offer,) = open_offers(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz)

    listed = await api.get("/api/v1/customers/C1")
    assert (await api.post(redeem_path(first), None)).status_code == 200
    after = await api.get("/api/v1/customers/C1")

    coupons: list[dict[str, Any]] = listed.json()["open_coupons"]
    assert {c["code"]: c["kind"] for c in coupons} == {
        first: "reward",
        second: "reward",
        offer.code: "winback",
    }
    assert all(c["last_valid_day"] == "2026-04-01" and c["expires_at"] for c in coupons)
    assert {c["code"] for c in after.json()["open_coupons"]} == {second, offer.code}
    assert "state" not in coupons[0]  # the list holds only usable coupons
