"""Coupons on the customer's side, through the real Telegram bot (and, for win-back offers, the real
Slack app on the same database): the code a customer is given is the one staff can check and use."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.context import AppContext
from bot.i18n import translator
from bot.jobs.automations import offer_notice, open_offers
from bot.jobs.scheduler import run_due_jobs
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.services import winback
from bot.services.coupons import redeem_coupon
from handlers.telegram.component import TelegramComponent
from handlers.telegram.notifications import notice_body
from tests.conftest import make_context
from tests.e2e.telegram_harness import (  # noqa: F401
    BUSINESS,
    customer_of,
    fixture_tg_bot,
    fixture_tg_ctx,
    fixture_tg_server,
    new_chat,
    running,
)
from tests.e2e.test_automations_telegram import PAST_THE_HOUR, flag_at_risk, job, member
from tests.services.helpers import buy, new_customer
from tests.support.slack_world import shown, slack_world

WINBACK_CODE_LINE = {
    "en": "Your coupon code: {code}. Show it at checkout; it can be used once and is valid until"
    " April 1, 2026.",
    "zh-Hans": "您的优惠券码：{code}。结账时出示即可使用，仅限使用一次，有效期至 2026年4月1日。",
    "zh-Hant": "您的優惠券序號：{code}。結帳時出示即可使用，限用一次，有效期限至 2026年4月1日。",
}


async def test_a_winback_offer_carries_a_code_that_crm_coupon_finds_and_uses_once(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram:
        sandbox = telegram.sandbox
        options = {
            "telegram_bot_token": sandbox.token,
            "telegram_api_base_url": telegram.bot_api_base_url,
            "business_name": BUSINESS,
        }
        async with slack_world(sqlite_url, clock, **options) as world, running(world.ctx):
            ctx = world.ctx
            clock.advance(PAST_THE_HOUR)  # 12:20 UTC: inside the send window
            customer, user = member(ctx, sandbox, "Wen")
            flag_at_risk(ctx, [customer], clock.now().date())

            (ran,) = await run_due_jobs(ctx, job(ctx, "winback"))
            assert "sent 1 of 1" in ran[2]

            (offer,) = sandbox.bot_messages(user.id)
            (code,) = offer.entity_texts("code")
            assert offer.text is not None and offer.text.startswith("We miss you at Tom's Café & Co!")
            assert offer.text.splitlines()[-1] == WINBACK_CODE_LINE["en"].format(code=code)

            await world.crm(f"coupon {code.lower()}", user=world.alice)
            card = world.last_ephemeral(world.alice)
            for part in (f"Coupon {code}", "Wen", "Win-back offer", "*Valid* until Apr 1, 2026"):
                assert part in shown(card), part
            await world.driver.press_button(
                "coupon_use", user=world.alice, channel=world.channel, ts=card["ts"]
            )
            await world.settle()

            assert world.last_ephemeral(world.alice)["text"].startswith(":white_check_mark: Marked used.")
            again = redeem_coupon(ctx.uow(), ctx.clock, code, actor="api:till-1")
            assert again.refusal == "used" and again.coupon is not None
            assert again.coupon.used_by == f"slack:{world.alice}"


def test_the_winback_message_gives_the_code_and_its_last_day_in_all_three_languages(
    sqlite_url: str, clock: ManualClock
) -> None:
    ctx = make_context(sqlite_url, clock)
    try:
        ann = new_customer(ctx, "A")
        assert ann.id is not None
        winback.queue_offers(ctx.uow(), ctx.clock, ctx.rules, customer_ids=[ann.id], episode="e1")
        (open_offer,) = open_offers(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz)
        notice = offer_notice(ctx, open_offer)
        for language, line in WINBACK_CODE_LINE.items():
            body = notice_body(translator(language), BUSINESS, notice)
            assert body.splitlines()[-1] == line.format(code=f"<code>{open_offer.code}</code>"), language
    finally:
        ctx.close()


async def test_points_and_rewards_list_the_coupons_still_open_with_their_last_day(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext, clock: ManualClock
) -> None:
    ann = new_chat(tg_server.sandbox, "Ann")
    await ann.join()
    buy(tg_ctx, customer_of(tg_ctx, ann), "250")
    await ann.say("/rewards")
    await ann.tap("Redeem: 5 off your next purchase")
    await ann.next()
    await ann.tap("Yes, redeem")
    given = await tg_server.sandbox.wait_for(
        lambda: m if (m := tg_server.sandbox.bot_messages(ann.id)[-1]).edit_count else None
    )
    (code,) = given.entity_texts("code")
    assert given.text is not None
    assert "it can be used once and is valid until April 1, 2026." in given.text

    points = await ann.say("/points")
    rewards = await ann.say("/rewards")

    listed = f"• 5 off your next purchase: {code}, valid until April 1, 2026"
    assert points.text is not None and rewards.text is not None
    shown_lines = points.text.splitlines()
    at = shown_lines.index("Your coupons:")
    assert shown_lines[at + 1 : at + 4] == [listed, "", "Recent activity:"]
    assert rewards.text.endswith(f"• Free gift — 300 points\n\nYour coupons:\n{listed}")
    assert code in points.entity_texts("code") and code in rewards.entity_texts("code")

    assert redeem_coupon(tg_ctx.uow(), tg_ctx.clock, code, actor="api:till-1").done
    after = await ann.say("/points")
    assert after.text is not None and "Your coupons:" not in after.text
    clock.advance(timedelta(days=1))
    assert "Your coupons:" not in ((await ann.say("/rewards")).text or "")
