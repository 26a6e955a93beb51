"""The first-response clock in the real `retention-bot run` (SPEC §8): a conversation past its target
is flagged once in the team channel, across a restart, and heads the digest posted at DIGEST_TIME.

The shop is open around the clock (00:00–24:00, every day) and a complaint's target is 0.01 h
(36 s), so a complaint opened a minute before the start is past it when the bot starts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.services.customers import create_customer
from bot.services.tickets import open_ticket
from tests.conftest import make_context
from tests.e2e.test_schedule_process import midday_zone, sleep_until, wait_for
from tests.support.bot_process import running_bot, slack_settings

SECRET = "clock-signing-secret"
RULES = """
[business_hours]
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
opens = "00:00"
closes = "24:00"

[response_targets]
complaint = 0.01
question = 8
"""


async def test_a_complaint_past_its_target_is_flagged_once_across_a_restart_and_heads_the_digest(
    sqlite_url: str, tmp_path: Path
) -> None:
    tz = midday_zone()
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    async with SlackSandbox(Workspace(signing_secret=SECRET)) as sandbox:
        driver = sandbox.driver
        channel = driver.add_channel("retention-team")
        bot_id = sandbox.state.ws.bot_id
        slack = slack_settings(sandbox, channel, SECRET)

        # Before the start: a complaint a minute old, and a question just now (8 hours to go).
        earlier = make_context(
            sqlite_url,
            ManualClock(datetime.now(UTC) - timedelta(minutes=1)),
            slack_bot_token=slack["SLACK_BOT_TOKEN"],
            retention_config=rules,
            timezone=tz.key,
        )
        for external_id, kind, text in (
            ("ann-1", "complaint", "My cake was stale"),
            ("bo-1", "question", "Vegan?"),
        ):
            customer = create_customer(
                earlier.uow(), earlier.clock, external_id=external_id, name=external_id
            )
            assert customer.id is not None
            open_ticket(
                earlier.uow(), earlier.clock, customer_id=customer.id, source="feedback", text=text, kind=kind
            )
            earlier.clock.advance(timedelta(seconds=50))
        earlier.close()

        def alert(text: str) -> dict[str, Any] | None:
            found = [m for m in driver.messages(channel) if text in json.dumps(m.get("blocks"))]
            return found[0] if found else None

        def overdue_lines(text: str) -> list[str]:
            root = alert(text)
            if root is None:
                return []
            replies = driver.messages(channel, thread_ts=root["ts"])[1:]
            return [m["text"] for m in replies if m["text"].startswith(":alarm_clock:")]

        def digests() -> list[dict[str, Any]]:
            return [
                m
                for m in driver.messages(channel)
                if m.get("bot_id") == bot_id and "digest" in str(m.get("text", "")).lower()
            ]

        due = (datetime.now(tz) + timedelta(seconds=20)).replace(microsecond=0)
        settings = {
            "DATABASE_URL": sqlite_url,
            **slack,
            "TIMEZONE": tz.key,
            "DIGEST_TIME": f"{due:%H:%M:%S}",
            "RETENTION_CONFIG": str(rules),
        }
        both = ("slack", "scheduler")
        async with running_bot(tmp_path, settings, "--no-telegram", parts=both) as first:
            await first.caught_up()
            [line] = await wait_for(
                lambda: overdue_lines("My cake was stale"),
                datetime.now(UTC) + timedelta(seconds=15),
                "the overdue line",
            )
            assert "nobody has it yet" in line and "0.01-hour" in line
            flagged = alert("My cake was stale")
            assert flagged is not None and "*Waiting for a reply*" in json.dumps(flagged["blocks"])
            assert overdue_lines("Vegan?") == []

            await sleep_until(due)
            [digest] = await wait_for(digests, due + timedelta(seconds=15), "the digest")
            logs = first.output()
        async with running_bot(tmp_path, settings, "--no-telegram", parts=both) as restarted:
            await restarted.caught_up()
            await sleep_until(datetime.now(UTC) + timedelta(seconds=2))
            logs += restarted.output()

    assert len(overdue_lines("My cake was stale")) == 1, logs
    assert logs.count("past their first-response target") == 1, logs
    head = digest["blocks"][1]["text"]["text"]
    assert head.startswith("*Waiting for a reply* (2), oldest first"), head
    complaint, question = head.splitlines()[1:3]
    assert "ann-1" in complaint and "past the target" in complaint
    assert "bo-1" in question and "past the target" not in question
