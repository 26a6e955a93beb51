"""`/crm coupon CODE` end to end: the real Bolt app behind the sandbox Slack, a real database.

Staff see whose coupon it is, what it is worth and whether it is valid (or why not), with Mark used;
only admins are ever shown Void, and a Void click that does not come from an admin is refused and
changes nothing. A double click uses a coupon once; every use and void is in the audit log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import SQLModel, col, select

from bot.clock import ManualClock
from bot.services.rewards import redeem
from storage.models import AuditLog, Coupon
from tests.services.helpers import buy, new_customer
from tests.support.slack_world import SlackWorld, shown, slack_world


@pytest.fixture
async def world(sqlite_url: str, clock: ManualClock) -> AsyncIterator[SlackWorld]:
    async with slack_world(sqlite_url, clock) as w:
        yield w


def give_coupon(world: SlackWorld, external_id: str = "C1", name: str = "Ann Lee") -> str:
    """A customer who redeemed "5 off your next purchase" at 12:00 UTC on 2 March: the code."""
    customer = new_customer(world.ctx, external_id, name=name)
    buy(world.ctx, customer, "150", order_id=f"order-{external_id}")
    assert customer.id is not None
    ctx = world.ctx
    result = redeem(
        ctx.uow(), ctx.clock, ctx.rules, customer_id=customer.id, reward_code="five_off", request_key="r1"
    )
    assert result.coupon is not None
    return result.coupon.code


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def coupon_row(world: SlackWorld, code: str) -> Coupon:
    with world.ctx.uow() as uow:
        return uow.session.exec(select(Coupon).where(Coupon.code == code)).one()


def audit_trail(world: SlackWorld) -> list[tuple[str, str]]:
    with world.ctx.uow() as uow:
        rows = uow.session.exec(
            select(AuditLog).where(col(AuditLog.action).startswith("coupon.")).order_by(col(AuditLog.id))
        ).all()
    return [(row.action, row.actor) for row in rows]


def footprint(world: SlackWorld) -> dict[str, list[str]]:
    with world.ctx.engine.connect() as conn:
        return {
            table.name: sorted(repr(tuple(row)) for row in conn.execute(table.select()).all())
            for table in SQLModel.metadata.sorted_tables
        }


async def press(
    world: SlackWorld, user: str, action_id: str, message: dict[str, Any], clicks: int = 1
) -> None:
    presses = (
        world.driver.press_button(action_id, user=user, channel=world.channel, ts=message["ts"])
        for _ in range(clicks)
    )
    assert all(r.status == 200 for r in await asyncio.gather(*presses))
    await world.settle()


async def test_staff_see_the_customer_the_reward_and_validity_with_mark_used_but_never_void(
    world: SlackWorld,
) -> None:
    code = give_coupon(world)

    await world.crm(f"coupon {code.lower().replace('-', ' ')}", user=world.alice)
    await world.crm(f"coupon {code}", user=world.boss)

    staff_card, admin_card = world.last_ephemeral(world.alice), world.last_ephemeral(world.boss)
    seen = shown(staff_card)
    for part in (
        f"Coupon {code}",
        "Ann Lee",
        "`C1`",
        "5 off your next purchase",
        "*Valid* until Apr 1, 2026",
    ):
        assert part in seen, part
    assert buttons(staff_card) == ["coupon_use"]
    assert buttons(admin_card) == ["coupon_use", "coupon_void"]
    void = admin_card["blocks"][-1]["elements"][1]
    assert void["style"] == "danger" and void["confirm"]["title"]["text"] == "Void this coupon?"
    assert [action for action, _ in audit_trail(world)] == ["coupon.check", "coupon.check"]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_double_click_on_mark_used_uses_the_coupon_once_and_says_by_whom(
    database: str, clock: ManualClock, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(f"{database}_url")
    async with slack_world(url, clock) as world:
        code = give_coupon(world)
        await world.crm(f"coupon {code}", user=world.alice)
        card = world.last_ephemeral(world.alice)
        clock.advance(timedelta(hours=2, minutes=5))

        await press(world, world.alice, "coupon_use", card, clicks=2)

        row = coupon_row(world, code)
        assert (row.state, row.used_by) == ("used", f"slack:{world.alice}")
        assert audit_trail(world) == [
            ("coupon.check", f"slack:{world.alice}"),
            ("coupon.use", f"slack:{world.alice}"),
        ]
        redrawn = world.driver.ephemerals(user=world.alice)
        assert len(redrawn) == 1 and buttons(redrawn[0]) == []  # the card itself changed, no new posts
        assert f"*Used* on Mar 2, 2026 14:05 by <@{world.alice}>" in shown(redrawn[0])
        assert redrawn[0]["text"] in (
            ":white_check_mark: Marked used. The customer gets: 5 off your next purchase",
            "You marked this coupon used on Mar 2, 2026 14:05; nothing more to do.",
        )

        await world.crm(f"coupon {code}", user=world.boss)  # someone else checks it later
        later = world.last_ephemeral(world.boss)
        assert f"*Used* on Mar 2, 2026 14:05 by <@{world.alice}>" in shown(later) and buttons(later) == []


async def test_an_admin_voids_a_coupon_and_staff_then_see_who_voided_it(world: SlackWorld) -> None:
    code = give_coupon(world)
    await world.crm(f"coupon {code}", user=world.boss)

    await press(world, world.boss, "coupon_void", world.last_ephemeral(world.boss))
    await world.crm(f"coupon {code}", user=world.alice)

    assert world.last_ephemeral(world.boss)["text"] == "Coupon voided: it will no longer be accepted."
    assert coupon_row(world, code).state == "void"
    assert ("coupon.void", f"slack:{world.boss}") in audit_trail(world)
    staff_view = world.last_ephemeral(world.alice)
    assert f"*Void* since Mar 2, 2026 12:00, voided by <@{world.boss}>" in shown(staff_view)
    assert buttons(staff_view) == []


async def test_a_void_click_from_staff_is_refused_and_changes_nothing(world: SlackWorld) -> None:
    code = give_coupon(world)
    await world.crm(f"coupon {code}", user=world.alice)
    before = footprint(world)

    response = await world.driver.press_forged_button(
        "coupon_void", code, user=world.alice, channel=world.channel, label="Void"
    )
    await world.settle()

    assert response.status == 200
    refused = world.last_ephemeral(world.alice)["text"]
    assert refused == (
        "“Void” needs the admin role. You are staff, not an admin (SLACK_ADMIN_USER_IDS); ask an admin."
        " Nothing was done."
    )
    assert footprint(world) == before


async def test_an_expired_coupon_shows_why_and_a_stale_mark_used_is_refused(
    world: SlackWorld, clock: ManualClock
) -> None:
    code = give_coupon(world)
    await world.crm(f"coupon {code}", user=world.alice)
    stale = world.last_ephemeral(world.alice)
    clock.advance(timedelta(days=31))

    await world.crm(f"coupon {code}", user=world.alice)
    expired = world.last_ephemeral(world.alice)
    await press(world, world.alice, "coupon_use", stale)

    assert "*Expired*: it was valid until Apr 1, 2026" in shown(expired) and buttons(expired) == []
    assert world.driver.ephemerals(user=world.alice)[0]["text"] == (
        "Not done: this coupon expired; it was valid until Apr 1, 2026."
    )
    assert coupon_row(world, code).state == "issued"
    assert "coupon.use" not in [action for action, _ in audit_trail(world)]


async def test_a_code_typed_full_width_is_found_and_an_unknown_one_is_explained(world: SlackWorld) -> None:
    code = give_coupon(world)
    full_width = "".join(chr(ord(ch) + 0xFEE0) if ch != "-" else "－" for ch in code)

    await world.crm(f"coupon {full_width}", user=world.alice)
    found = world.last_ephemeral(world.alice)
    await world.crm("coupon ZZZZ-ZZZZ-ZZZZ", user=world.alice)
    unknown = world.last_ephemeral(world.alice)["text"]
    await world.crm("coupon", user=world.alice)
    usage = world.last_ephemeral(world.alice)["text"]
    await world.crm("help", user=world.alice)
    help_text = world.last_ephemeral(world.alice)["text"]

    assert f"Coupon {code}" in shown(found)
    assert unknown == (
        "No coupon has the code `ZZZZ-ZZZZ-ZZZZ`. Check it again: letters and digits count, spaces and"
        " dashes do not."
    )
    assert "`/crm coupon CODE`" in usage
    assert "• `/crm coupon CODE` — a coupon's customer, reward and whether it is valid" in help_text


async def test_staff_whose_slack_is_in_chinese_read_the_card_in_chinese(world: SlackWorld) -> None:
    code = give_coupon(world)
    mei = world.driver.add_user("mei", locale="zh-TW", channels=[world.channel])

    await world.crm(f"coupon {code}", user=mei)

    card = shown(world.last_ephemeral(mei))
    for part in (f"優惠券 {code}", "Ann Lee", "下次消費折抵 5 元", "*有效*，至", "標記已使用"):
        assert part in card, part
