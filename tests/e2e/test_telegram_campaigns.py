"""Survey campaigns through the real bot: everyone exactly once under Telegram's flood limit, and a
sender that dies halfway is taken over once its lease expires: nobody skipped, and only what it left
in doubt sent again."""

from __future__ import annotations

import socket
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select
from telegram.error import NetworkError

from bot.clock import ManualClock
from bot.context import AppContext
from bot.sandbox.telegram import FloodLimits, SandboxServer, SandboxUser, TelegramSandbox
from bot.services.campaign_lease import LEASE, LeaseLost
from bot.services.campaigns import campaigns_to_send, claim_batch, start_campaign
from bot.services.customers import create_customer, link_chat
from handlers.telegram.application import TelegramOptions, build_bot
from handlers.telegram.campaign_sender import deliver, send_campaign
from storage.models import SurveyDispatch
from tests.conftest import make_context
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


async def test_a_crashed_sender_is_taken_over_and_what_it_left_in_doubt_is_sent_again(
    tg_server: SandboxServer, tg_ctx: AppContext, clock: ManualClock
) -> None:
    sandbox = tg_server.sandbox
    users = linked_customers(tg_ctx, sandbox, 20)
    summary = start_campaign(
        tg_ctx.uow(), tg_ctx.clock, tg_ctx.rules, started_by="cli", segment="all", sender_id="dead-cli"
    )
    async with running(tg_ctx) as bot:
        claimed = claim_batch(
            tg_ctx.uow(),
            tg_ctx.clock,
            tg_ctx.rules,
            tg_ctx.settings.tz,
            campaign_id=summary.campaign_id,
            limit=8,
            default_language="en",
            sender_id="dead-cli",
        )
        for prompt in claimed[:3]:  # three went out, then the process died with five claimed
            assert await deliver(tg_ctx, bot.application.bot, prompt, bot.deps.call)
        assert campaigns_to_send(tg_ctx.uow(), tg_ctx.clock) == []  # its lease still holds: hands off
        clock.advance(LEASE + timedelta(seconds=1))
        assert campaigns_to_send(tg_ctx.uow(), tg_ctx.clock) == [(summary.campaign_id, False)]
        await bot.tick()  # the lease expired: the bot takes the campaign over
        report = await bot.send(summary.campaign_id)  # the task the tick started
    assert report.counts == {"sent": 20} and report.status == "done"
    assert report.resent == 5 and report.skip_reasons == {}
    assert surveys_per_chat(sandbox, users) == Counter({1: 20})
    with pytest.raises(LeaseLost):  # the dead sender, come back, may claim nothing more
        claim_batch(
            tg_ctx.uow(),
            tg_ctx.clock,
            tg_ctx.rules,
            tg_ctx.settings.tz,
            campaign_id=summary.campaign_id,
            limit=8,
            default_language="en",
            sender_id="dead-cli",
        )
    with tg_ctx.uow() as uow:
        assert len(uow.session.exec(select(SurveyDispatch)).all()) == 20


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_network_failure_leaves_the_survey_in_doubt_and_the_next_sender_sends_it_again(
    tg_server: SandboxServer, tg_ctx: AppContext, sqlite_url: str, clock: ManualClock
) -> None:
    sandbox = tg_server.sandbox
    users = linked_customers(tg_ctx, sandbox, 4)
    summary = start_campaign(tg_ctx.uow(), tg_ctx.clock, tg_ctx.rules, started_by="cli", segment="all")
    cut_off = make_context(
        sqlite_url,
        clock,
        telegram_bot_token=sandbox.token,
        telegram_api_base_url=f"http://127.0.0.1:{closed_port()}/bot",
    )
    unreachable = build_bot(cut_off.settings)
    try:
        with pytest.raises(NetworkError):  # nobody listens there: every request fails
            await unreachable.initialize()
        first = await send_campaign(cut_off, unreachable, summary.campaign_id)
    finally:
        await unreachable.shutdown()
        cut_off.close()
    assert (first.status, first.in_doubt, first.skip_reasons) == ("running", 4, {"network": 4})
    assert campaigns_to_send(tg_ctx.uow(), tg_ctx.clock) == [(summary.campaign_id, False)]
    async with build_bot(tg_ctx.settings) as bot:
        second = await send_campaign(tg_ctx, bot, summary.campaign_id)
    assert (second.status, second.counts, second.resent) == ("done", {"sent": 4}, 4)
    assert surveys_per_chat(sandbox, users) == Counter({1: 4})
