"""`kill -9` between an inbound update's receipt and its effect (issue 13): the real `retention-bot run`
dies at an exact point (bot/faults.py's test seam, RETENTION_BOT_CRASH_AT), the platform delivers
the update again — Telegram because its offset was not confirmed, Slack because its event was not
answered 200 — and the restarted process does it, once. A plain replay afterwards changes nothing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select

from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.sandbox.telegram.state import PendingUpdate
from storage.models import Interaction, ProcessedUpdate, Ticket
from tests.e2e.telegram_harness import new_chat
from tests.support.bot_process import BotProcess, running_bot, slack_settings, telegram_settings, until

SECRET = "inbound-signing-secret"
COMPLAINT = "The cake was stale and the box was crushed. Not happy at all."
REPLY = "Sorry about the cake! A fresh one is on us, come by any time."
PARTS = ("telegram", "slack")


async def killed_at(bot: BotProcess, point: str) -> None:
    """The process SIGKILLed itself at `point`."""
    try:
        await asyncio.wait_for(bot.process.wait(), 30)
    except TimeoutError:
        raise AssertionError(f"not killed at {point}:\n{bot.output()}") from None
    assert bot.process.returncode == -9, bot.output()
    assert f"crash point {point}" in bot.output()


def count(database_url: str, statement: Any) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())
    finally:
        engine.dispose()


async def test_a_complaint_and_a_staff_reply_cut_off_by_kill_9_are_redelivered_and_done_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with (
        SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram,
        # Slack's schedule is (0, 60, 300) s; here a try every second, for as long as a restart
        # takes on a loaded machine.
        SlackSandbox(Workspace(signing_secret=SECRET), event_retries=(1.0,) * 120) as slack,
    ):
        driver = slack.driver
        boss = driver.add_user("boss", real_name="Bea Boss")
        channel = driver.add_channel("retention-team", members=[boss])
        settings = {
            "DATABASE_URL": sqlite_url,
            **telegram_settings(telegram),
            **slack_settings(slack, channel, SECRET),
            "SLACK_THREAD_RELAY": "all",
        }
        bot_id = slack.state.ws.bot_id
        tickets = select(func.count()).select_from(Ticket)
        complaints = select(func.count()).select_from(Interaction).where(Interaction.text == COMPLAINT)

        def alerts() -> list[dict[str, Any]]:
            return [
                m
                for m in driver.messages(channel)
                if m.get("bot_id") == bot_id and m.get("thread_ts", m["ts"]) == m["ts"]
            ]

        ann = new_chat(telegram.sandbox, "Ann")

        def replies() -> int:
            return sum(REPLY in line for line in ann.messages())

        # 1. Ann joins (updates 1 and 2); her complaint, the third update, kills the process after
        #    the gate let it through and before anything of it was committed.
        crash = {**settings, "RETENTION_BOT_CRASH_AT": "telegram.update:3"}
        async with running_bot(tmp_path, crash, "--no-scheduler", parts=PARTS) as bot:
            driver.connect_app(f"{bot.url}/slack/events")
            await ann.join()
            sent = telegram.sandbox.push_text(ann.id, COMPLAINT)
            complaint_id = telegram.sandbox.state.next_update_id - 1
            await killed_at(bot, "telegram.update")
        assert count(sqlite_url, tickets) == 0
        assert count(sqlite_url, complaints) == 0

        # 2. Restarted: Telegram delivers the complaint again (its offset was never confirmed); it
        #    opens one ticket and one alert. Then a staff reply in the alert's thread kills the
        #    process before its effect: Slack gets no answer.
        crash = {**settings, "RETENTION_BOT_CRASH_AT": "slack.thread"}
        async with running_bot(tmp_path, crash, "--no-scheduler", parts=PARTS) as bot:
            driver.connect_app(f"{bot.url}/slack/events")
            opened = await ann.next(timeout=20)
            assert opened.text is not None and "#1" in opened.text
            [alert] = await until(alerts, 20, "the complaint's alert", bot)
            _, first = await driver.post_user_message(
                REPLY, user=boss, channel=channel, thread_ts=alert["ts"]
            )
            await killed_at(bot, "slack.thread")
        assert first is not None and first.status != 200
        assert replies() == 0

        # 3. Restarted: one of Slack's retries reaches it and the reply is relayed, once.
        async with running_bot(tmp_path, settings, "--no-scheduler", parts=PARTS) as bot:
            driver.connect_app(f"{bot.url}/slack/events")
            await until(replies, 60, "the staff reply after Slack's retry", bot)
            event_id = first.event_id
            assert event_id is not None
            acked = [(d.retry_num or 0, d.status) for d in driver.event_deliveries if d.event_id == event_id]
            assert acked[0] == (0, 0) and acked[-1][1] == 200 and acked[-1][0] >= 1

            # 4. Plain replays change nothing: Slack's retry of the answered event, and Telegram
            #    delivering the complaint once more (as after a crash before its offset was confirmed).
            again = await driver.retry_event(event_id, retry_num=3, retry_reason="http_timeout")
            assert again.status == 200
            state = telegram.sandbox.state
            with state.lock:
                state.updates.insert(0, PendingUpdate(complaint_id, "message", sent))
            state.changed()
            await asyncio.sleep(2)  # a second reply or a second ticket would have come by now
            assert "update" in bot.output() and "ignoring the replay" in bot.output()

    assert replies() == 1
    assert len(alerts()) == 1
    assert count(sqlite_url, tickets) == 1
    assert count(sqlite_url, complaints) == 1
    claimed = select(func.count()).select_from(ProcessedUpdate).where(ProcessedUpdate.platform == "telegram")
    assert count(sqlite_url, claimed) == 3  # /start, the contact, the complaint: each once
