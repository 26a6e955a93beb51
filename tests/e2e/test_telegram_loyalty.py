"""Points and rewards in Telegram: /points, /rewards, redeeming with confirmation, stale and double taps."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.sandbox.telegram import SandboxServer
from bot.services.loyalty import current_balance
from handlers.telegram.component import TelegramComponent
from storage.models import Redemption
from tests.e2e.telegram_harness import (  # noqa: F401
    Chat,
    customer_of,
    fixture_tg_bot,
    fixture_tg_ctx,
    fixture_tg_db_bot,
    fixture_tg_db_ctx,
    fixture_tg_server,
    new_chat,
)
from tests.services.helpers import buy


async def member(server: SandboxServer, ctx: AppContext, spent: str | None = None, name: str = "Ann") -> Chat:
    chat = new_chat(server.sandbox, name)
    await chat.join()
    if spent is not None:
        buy(ctx, customer_of(ctx, chat), spent)
    return chat


async def test_points_show_balance_tier_progress_expiry_and_recent_activity(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext, clock: ManualClock
) -> None:
    ann = await member(tg_server, tg_ctx)
    customer = customer_of(tg_ctx, ann)
    clock.advance(timedelta(days=-340))
    buy(tg_ctx, customer, "120.90", order_id="old-1")
    clock.advance(timedelta(days=340))
    buy(tg_ctx, customer, "35", order_id="new-1")
    reply = await ann.say("/points")
    assert reply.text is not None
    lines = reply.text.splitlines()
    assert lines[0] == "Your points at Tom's Café & Co"
    assert reply.entity_texts("bold") == ["Your points at Tom's Café & Co"]
    assert "You have 155 points to spend." in lines
    assert "Tier: Member" in lines
    assert "Earn 345 more points to reach Silver." in lines
    assert "Expiring in the next 30 days:" in lines
    assert "• 120 points expire on March 27, 2026" in lines
    history = lines[lines.index("Recent activity:") + 1 :]
    assert history == ["Mar 2, 2026  +35  Purchase", "Mar 27, 2025  +120  Purchase"]


async def test_redeeming_asks_for_confirmation_then_gives_a_coupon_and_deducts_once(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = await member(tg_server, tg_ctx, spent="150")
    catalogue = await ann.say("/rewards")
    assert catalogue.text == (
        "Rewards you can redeem (you have 150 points):\n"
        "• 5 off your next purchase — 100 points\n"
        "• Free gift — 300 points"
    )
    assert catalogue.buttons == [["Redeem: 5 off your next purchase"], ["Redeem: Free gift"]]
    assert (await ann.tap("Redeem: 5 off your next purchase"))["text"] is None  # no notice: it went on
    confirm = await ann.next()
    assert confirm.text == "Redeem 5 off your next purchase for 100 points? Your balance will then be 50."
    assert confirm.buttons == [["Yes, redeem", "Cancel"]]
    await ann.tap("Yes, redeem")
    coupon = await tg_server.sandbox.wait_for(
        lambda: m if (m := tg_server.sandbox.bot_messages(ann.id)[-1]).edit_count else None
    )
    assert coupon.text is not None and coupon.text.startswith(
        "Done! Here is your coupon code for 5 off your next purchase:"
    )
    (code,) = coupon.entity_texts("code")
    assert len(code) == 14 and coupon.text.endswith("Points left: 50")
    assert coupon.reply_markup is None
    assert current_balance(tg_ctx.uow(), tg_ctx.clock, customer_of(tg_ctx, ann).id or 0).spendable == 50


async def test_two_quick_taps_on_redeem_and_on_confirm_issue_one_coupon(
    tg_server: SandboxServer, tg_db_bot: TelegramComponent, tg_db_ctx: AppContext
) -> None:
    sandbox = tg_server.sandbox
    ann = await member(tg_server, tg_db_ctx, spent="250")
    catalogue = await ann.say("/rewards")
    first = sandbox.tap_button(ann.id, catalogue.message_id, text="Redeem: 5 off your next purchase")
    second = sandbox.tap_button(ann.id, catalogue.message_id, text="Redeem: 5 off your next purchase")
    await sandbox.wait_for_callback_answer(first)
    await sandbox.wait_for_callback_answer(second)
    confirm = await ann.next()
    yes = [sandbox.tap_button(ann.id, confirm.message_id, text="Yes, redeem") for _ in range(2)]
    answers = [await sandbox.wait_for_callback_answer(q) for q in yes]
    assert sorted(str(a["text"]) for a in answers) == ["None", "This button is no longer active."]
    later = [m for m in sandbox.bot_messages(ann.id) if m.message_id > catalogue.message_id]
    assert len(later) == 1 and (later[0].text or "").startswith("Done! Here is your coupon code")
    customer_id = customer_of(tg_db_ctx, ann).id
    with tg_db_ctx.uow() as uow:
        coupons = uow.session.exec(select(Redemption).where(Redemption.customer_id == customer_id)).all()
    assert [(r.status, r.coupon_code is not None) for r in coupons] == [("confirmed", True)]
    assert current_balance(tg_db_ctx.uow(), tg_db_ctx.clock, customer_id or 0).spendable == 150


async def test_a_reward_no_longer_affordable_answers_the_tap_and_changes_nothing(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = await member(tg_server, tg_ctx, spent="120")
    catalogue = await ann.say("/rewards")
    notice = await ann.tap("Redeem: Free gift", message_id=catalogue.message_id)
    assert notice["text"] == "Not quite yet: you need 180 more points for Free gift."
    await ann.tap("Redeem: 5 off your next purchase", message_id=catalogue.message_id)
    confirm = await ann.next()
    await ann.tap("Cancel", message_id=confirm.message_id)
    cancelled = await tg_server.sandbox.wait_for(
        lambda: m if (m := tg_server.sandbox.bot_messages(ann.id)[-1]).edit_count else None
    )
    assert cancelled.text == "OK, nothing was redeemed."
    again = await ann.tap("Redeem: 5 off your next purchase", message_id=catalogue.message_id)
    assert again["text"] == "This button is no longer active."
    assert current_balance(tg_ctx.uow(), tg_ctx.clock, customer_of(tg_ctx, ann).id or 0).spendable == 120


async def test_points_before_joining_asks_to_start_first(
    tg_server: SandboxServer, tg_bot: TelegramComponent
) -> None:
    stranger = new_chat(tg_server.sandbox, "Sam")
    reply = await stranger.say("/points")
    assert reply.text == "I don't know who you are yet. Send /start to link your membership."
