"""`/crm points` (admins only), `/crm merge` (with its confirmation) and `/crm link`, end to end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.events import PointsAdjusted
from bot.sandbox.telegram import SandboxServer, TelegramSandbox
from bot.services.customers import customer_for_chat, link_chat, match_or_create_by_phone
from bot.services.interactions import log_interaction
from storage.models import AuditLog, Interaction, LinkCode
from tests.services.helpers import buy, new_customer
from tests.support.slack_world import SlackWorld, balance, shown, slack_world


@pytest.fixture
async def world(database_url: str, clock: ManualClock) -> AsyncIterator[SlackWorld]:
    async with slack_world(database_url, clock) as w:
        yield w


async def test_admin_adjusts_points_and_the_customer_is_told(world: SlackWorld) -> None:
    world.record(PointsAdjusted)
    ann = new_customer(world.ctx, "C1", name="Ann Lee")
    assert ann.id is not None

    await world.crm("points C1 +50 late delivery | Sorry for the wait!", user=world.boss)
    await world.crm("points C1 -10 typo --quiet", user=world.boss)

    assert world.last_ephemeral(world.boss)["text"].startswith(
        "Adjusted Ann Lee's points by -10; balance now 40."
    )
    assert balance(world, ann.id) == 40
    assert world.recorded(PointsAdjusted) == [
        PointsAdjusted(customer_id=ann.id, delta=50, note="Sorry for the wait!")
    ]
    with world.ctx.uow() as uow:
        audits = uow.session.exec(select(AuditLog).where(AuditLog.action == "points.adjust")).all()
    assert [json.loads(a.detail)["reason"] for a in audits] == ["late delivery", "typo"]
    assert {a.actor for a in audits} == {f"slack:{world.boss}"}


async def test_non_admin_adjustment_is_refused_and_changes_nothing(world: SlackWorld) -> None:
    world.record(PointsAdjusted)
    ann = new_customer(world.ctx, "C1", name="Ann Lee")
    assert ann.id is not None
    buy(world.ctx, ann, "30")

    await world.crm("points C1 +500 friend of mine", user=world.alice)

    assert world.last_ephemeral()["text"].startswith("`/crm points` needs the admin role. You are staff")
    assert balance(world, ann.id) == 30
    assert world.recorded(PointsAdjusted) == []
    with world.ctx.uow() as uow:
        assert uow.session.exec(select(AuditLog).where(AuditLog.action == "points.adjust")).all() == []


def telegram_created(world: SlackWorld) -> int:
    """A customer the Telegram bot made from a shared phone number, with a chat, points and history."""
    uow, clock = world.ctx.uow(), world.ctx.clock
    customer, created = match_or_create_by_phone(
        uow, clock, "+14155550100", name="Annie", external_id="tg-7001"
    )
    assert created and customer.id is not None
    link_chat(world.ctx.uow(), clock, customer, platform="telegram", user_id="7001", chat_id="7001")
    buy(world.ctx, customer, "20")
    log_interaction(
        world.ctx.uow(), clock, customer_id=customer.id, channel="telegram", direction="inbound",
        kind="feedback", text="Love the new cakes",
    )  # fmt: skip
    return customer.id


async def test_merging_a_telegram_created_customer_into_an_imported_one_moves_chat_points_history(
    world: SlackWorld,
) -> None:
    imported = new_customer(world.ctx, "1001", name="Ann Lee", email="ann@example.com")
    assert imported.id is not None
    buy(world.ctx, imported, "100")
    duplicate = telegram_created(world)

    await world.crm("merge 1001 tg-7001", user=world.boss)
    confirm = world.last_ephemeral(world.boss)
    assert "cannot be undone" in confirm["text"] and customer_for_chat(world.ctx.uow(), "telegram", "7001")
    await world.driver.press_button(
        "crm_merge_confirm", user=world.boss, channel=world.channel, ts=confirm["ts"]
    )
    await world.settle()

    done = world.last_ephemeral(world.boss)["text"]
    assert done.startswith("Merged Annie into Ann Lee. Moved: 1 chat links, 1 interactions, 1 purchases")
    assert done.endswith("Balance now 120 points.")
    linked = customer_for_chat(world.ctx.uow(), "telegram", "7001")
    assert linked is not None and linked.id == imported.id and linked.phone == "+14155550100"
    assert balance(world, imported.id) == 120
    with world.ctx.uow() as uow:
        texts = uow.session.exec(select(Interaction.text).where(Interaction.customer_id == imported.id)).all()
    assert list(texts) == ["Love the new cakes"]
    await world.crm("find tg-7001")
    assert shown(world.last_ephemeral()).count("Ann Lee") >= 1 and duplicate != imported.id


async def test_cancelling_a_merge_changes_nothing(world: SlackWorld) -> None:
    new_customer(world.ctx, "1001", name="Ann Lee")
    duplicate = telegram_created(world)

    await world.crm('merge 1001 "tg-7001"', user=world.boss)
    confirm = world.last_ephemeral(world.boss)
    await world.driver.press_button(
        "crm_merge_cancel", user=world.boss, channel=world.channel, ts=confirm["ts"]
    )
    await world.settle()

    assert world.last_ephemeral(world.boss)["text"] == "Merge cancelled; nothing changed."
    linked = customer_for_chat(world.ctx.uow(), "telegram", "7001")
    assert linked is not None and linked.id == duplicate


async def test_link_without_telegram_shows_the_code_and_the_link_template(world: SlackWorld) -> None:
    new_customer(world.ctx, "C1", name="Ann Lee")

    await world.crm("link C1", user=world.boss)

    text = world.last_ephemeral(world.boss)["text"]
    assert "Link code for Ann Lee: `" in text and "https://t.me/<your bot>?start=" in text


async def test_link_gives_a_telegram_deep_link_with_the_bot_username(
    sqlite_url: str, clock: ManualClock
) -> None:
    telegram = TelegramSandbox(bot_username="shop_loyalty_bot")
    async with SandboxServer(telegram) as server:
        options = {"telegram_bot_token": telegram.token, "telegram_api_base_url": server.bot_api_base_url}
        async with slack_world(sqlite_url, clock, **options) as world:
            new_customer(world.ctx, "C1", name="Ann Lee")

            await world.crm("link Ann Lee", user=world.boss)

            text = world.last_ephemeral(world.boss)["text"]
            assert "Send Ann Lee this link" in text and "valid 30 days" in text
            code = text.rsplit("?start=", 1)[1]
            assert text.endswith(f"https://t.me/shop_loyalty_bot?start={code}")
            with world.ctx.uow() as uow:
                assert uow.session.get(LinkCode, code) is not None
