"""Survey campaigns through the real bot: everyone exactly once under Telegram's flood limit, and a
sender that dies halfway is continued without a second survey to anyone."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.sandbox.telegram import FloodLimits, SandboxServer, SandboxUser, TelegramSandbox
from bot.services.campaigns import campaign_report, claim_batch, recover_interrupted, start_campaign
from bot.services.customers import create_customer, link_chat
from handlers.telegram.application import TelegramOptions
from handlers.telegram.campaign_sender import deliver
from storage.models import SurveyDispatch
from tests.e2e.telegram_harness import (  # noqa: F401
    fixture_tg_ctx,
    fixture_tg_server,
    running,
)


def linked_customers(ctx: AppContext, sandbox: TelegramSandbox, count: int) -> list[SandboxUser]:
    """Customers whose chats are linked already (as if each had sent /start and shared a number)."""
    languages = ("en", "zh-hans", "zh-tw")
    users = [sandbox.create_user(f"Guest {n}", language_code=languages[n % 3]) for n in range(count)]
    with ctx.uow() as uow:
        for n, user in enumerate(users):
            customer = create_customer(uow, ctx.clock, external_id=f"C{n:04d}", name=user.first_name)
            link_chat(
                uow,
                ctx.clock,
                customer,
                platform="telegram",
                user_id=str(user.id),
                chat_id=str(user.id),
                language_code=user.language_code,
            )
    return users


def surveys_per_chat(sandbox: TelegramSandbox, users: list[SandboxUser]) -> Counter[int]:
    return Counter(len(sandbox.bot_messages(user.id)) for user in users)


@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_a_campaign_of_300_reaches_everyone_once_under_a_30_per_second_flood_limit(
    tg_server: SandboxServer, tg_ctx: AppContext
) -> None:
    sandbox = tg_server.sandbox
    sandbox.set_flood_limits(FloodLimits(overall_per_second=30, overall_burst=30))
    users = linked_customers(tg_ctx, sandbox, 300)
    # Faster than the flood limit on purpose: Telegram answers 429, and every refused survey is retried.
    eager = TelegramOptions(tick_seconds=None, messages_per_second=45)
    async with running(tg_ctx, eager) as bot:
        summary = start_campaign(
            tg_ctx.uow(), tg_ctx.clock, tg_ctx.rules, started_by="slack:U1", segment="all"
        )
        report = await bot.send(summary.campaign_id)
    assert report.counts == {"sent": 300} and report.status == "done"
    assert surveys_per_chat(sandbox, users) == Counter({1: 300})
    assert sandbox.stats.flood_429 > 0
    chinese = sandbox.bot_messages(users[1].id)[0]
    assert chinese.text is not None and chinese.text.startswith("您有多大可能")


async def test_a_crashed_sender_is_continued_without_surveying_anyone_twice(
    tg_server: SandboxServer, tg_ctx: AppContext, clock: ManualClock
) -> None:
    sandbox = tg_server.sandbox
    users = linked_customers(tg_ctx, sandbox, 20)
    summary = start_campaign(tg_ctx.uow(), tg_ctx.clock, tg_ctx.rules, started_by="cli", segment="all")
    async with running(tg_ctx) as bot:
        claimed = claim_batch(
            tg_ctx.uow(),
            tg_ctx.clock,
            tg_ctx.rules,
            tg_ctx.settings.tz,
            campaign_id=summary.campaign_id,
            limit=8,
            default_language="en",
        )
        for prompt in claimed[:3]:  # three went out, then the process died
            assert await deliver(tg_ctx, bot.application.bot, prompt, bot.deps.call)
        clock.advance(timedelta(minutes=11))
        stuck = recover_interrupted(
            tg_ctx.uow(), clock, campaign_id=summary.campaign_id, older_than=timedelta(minutes=10)
        )
        report = await bot.send(summary.campaign_id)
    assert stuck == 5
    assert report.counts == {"sent": 15, "failed": 5} and report.skip_reasons == {"interrupted": 5}
    assert surveys_per_chat(sandbox, users) == Counter({1: 15, 0: 5})
    again = campaign_report(tg_ctx.uow(), tg_ctx.clock, campaign_id=summary.campaign_id)
    assert again.status == "done"
    with tg_ctx.uow() as uow:
        assert len(uow.session.exec(select(SurveyDispatch)).all()) == 20
