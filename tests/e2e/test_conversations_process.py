"""The flood rule in the real `retention-bot run` on the system clock (SPEC §8): a customer's burst is
relayed into the thread one combined post a minute, which only the Slack part's own relay tick
makes. Nothing here calls the tick: the test waits for the running process to do it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.services.customers import create_customer, link_chat
from bot.services.tickets import get_ticket
from tests.conftest import make_context
from tests.e2e.test_schedule_process import wait_for
from tests.support.bot_process import running_bot, slack_settings, telegram_settings

SECRET = "conversations-signing-secret"
NOTICE = "We have your messages"


async def test_forty_messages_in_thirty_seconds_give_a_handful_of_thread_posts_in_the_running_bot(
    sqlite_url: str, tmp_path: Path
) -> None:
    telegram = TelegramSandbox(flood_limits=FloodLimits.unlimited())
    async with SandboxServer(telegram) as server, SlackSandbox(Workspace(signing_secret=SECRET)) as slack:
        boss = slack.driver.add_user("boss", real_name="Bea Boss")
        channel = slack.driver.add_channel("retention-team", members=[boss])
        ann = telegram.create_user("Ann", language_code="en")
        ctx = make_context(sqlite_url, ManualClock(datetime.now(UTC)))
        customer = create_customer(ctx.uow(), ctx.clock, external_id="ann-1", name="Ann")
        link_chat(
            ctx.uow(), ctx.clock, customer, platform="telegram", user_id=str(ann.id), chat_id=str(ann.id)
        )
        bot_id = slack.state.ws.bot_id

        def thread() -> list[dict[str, Any]]:
            ticket = get_ticket(ctx.uow(), 1)
            if ticket.slack_ts is None:
                return []
            messages = slack.driver.messages(channel, thread_ts=ticket.slack_ts)
            return [m for m in messages if m.get("bot_id") == bot_id and m["ts"] != ticket.slack_ts]

        settings = {
            "DATABASE_URL": sqlite_url,
            **telegram_settings(server),
            **slack_settings(slack, channel, SECRET),
            "BUSINESS_NAME": "Tea House",
        }
        async with running_bot(tmp_path, settings, "--no-scheduler", parts=("telegram", "slack")) as bot:
            started = datetime.now(UTC)
            for n in range(1, 41):  # 40 messages in about 6 seconds
                telegram.push_text(ann.id, f"hello?? where is my order ({n})")
                await asyncio.sleep(0.15)
            answers = await wait_for(
                lambda: [m for m in telegram.bot_messages(ann.id) if NOTICE in (m.text or "")],
                started + timedelta(seconds=40),
                "the notice",
            )
            assert len(answers) == 1
            single = await wait_for(
                lambda: thread() if len(thread()) >= 5 else None,
                started + timedelta(seconds=40),
                "the single posts and the pause line",
            )
            assert len(single) == 5, bot.output()
            # Held messages go in as one post a minute after the last single one: only the
            # process's own tick can make it.
            [*_, combined] = await wait_for(
                lambda: thread() if len(thread()) >= 6 else None,
                started + timedelta(seconds=90),
                "the combined post",
            )
            assert "wrote 25 messages" in combined["text"] and "(30)" in combined["text"], combined
            await asyncio.sleep(6)  # another tick: nothing more is posted
            assert len(thread()) == 6
            assert len([m for m in telegram.bot_messages(ann.id) if NOTICE in (m.text or "")]) == 1
            health = await bot.health()
            assert health["telegram"] == health["slack"] == "running", health
            telegram.push_text(ann.id, "/help")
            await wait_for(
                lambda: [
                    m for m in telegram.bot_messages(ann.id) if (m.text or "").startswith("Here's what")
                ],
                datetime.now(UTC) + timedelta(seconds=10),
                "an answer to /help",
            )
        ctx.close()
