"""`GET /metrics` of the real `retention-bot run` (SPEC §11), scraped before and after each thing
that should move a series: a Telegram /start, a Slack slash command, a Slack 429 that is waited
out, a Telegram 403 from a customer who blocked the bot, a complaint that opens a conversation, a
trickle campaign the CLI queues, and the jobs the start-up catch-up ran.

One process against both sandboxes (Telegram long polling, Slack HTTP mode), on SQLite, with
LOG_FORMAT=json; the sandboxes run in this test process on loopback.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from bot.clock import ManualClock
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from storage.models import JobRun
from tests.conftest import make_context
from tests.e2e.telegram_harness import Chat, new_chat
from tests.e2e.test_schedule_process import midday_zone
from tests.support.bot_process import BotProcess, run_cli, running_bot, slack_settings

SECRET = "metrics-signing-secret"
WINDOW = 60.0
"""The sandbox Slack's rate-limit window, in seconds."""
RELAY_MARGIN = 2.5
"""Seconds the relay has to reach Slack while the window is still full (it takes a fraction)."""
WAITING = "retention_conversations_waiting"
OUTBOX = "retention_outbox_depth"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(bot: BotProcess) -> Samples:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"{bot.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def updates(samples: Samples, platform: str) -> float:
    return value(samples, "retention_updates_handled_total", platform=platform)


def sent(samples: Samples, platform: str) -> float:
    return value(samples, "retention_messages_sent_total", platform=platform)


def errors(samples: Samples, platform: str, kind: str) -> float:
    return value(samples, "retention_platform_errors_total", platform=platform, kind=kind)


def job_runs(samples: Samples) -> dict[tuple[str, str], float]:
    return {
        (dict(labels)["job"], dict(labels)["outcome"]): n
        for (name, labels), n in samples.items()
        if name == "retention_job_runs_total"
    }


async def eventually(probe: Callable[[], Any], what: str, within: float = 10.0) -> Any:
    """Poll a probe (sync or async) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = probe()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} did not happen within {within} s")
        await asyncio.sleep(0.1)


async def rises(bot: BotProcess, series: Callable[[Samples], float], above: Samples, what: str) -> Samples:
    """The first scrape in which `series` is higher than in `above`."""

    async def probe() -> Samples | None:
        now = await scrape(bot)
        return now if series(now) > series(above) else None

    found: Samples = await eventually(probe, what)
    return found


def jobs_in_database(database_url: str) -> Counter[tuple[str, str]]:
    ctx = make_context(database_url, ManualClock(datetime.now(UTC)))
    try:
        with ctx.uow() as uow:
            return Counter((run.job_name, run.status) for run in uow.session.exec(select(JobRun)).all())
    finally:
        ctx.close()


async def join(chat: Chat) -> None:
    """/start, then share the phone number with the button the bot shows (a fresh process: patience)."""
    prompt = await chat.say("/start", timeout=20)
    assert prompt.reply_markup is not None
    [button] = prompt.reply_markup["keyboard"][0]
    chat.sandbox.press_reply_button(chat.id, button["text"])
    await chat.next(timeout=20)


async def test_each_series_moves_when_its_event_happens_in_the_running_bot(
    sqlite_url: str, tmp_path: Path
) -> None:
    tz = midday_zone()  # inside the contact window, past the automations' times: they catch up at start
    rules = tmp_path / "rules.toml"
    rules.write_text("[contact]\ndaily_cap = 0\n", encoding="utf-8")  # trickled surveys stay queued
    async with (
        SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram,
        SlackSandbox(Workspace(signing_secret=SECRET)) as slack,
    ):
        tg, driver = telegram.sandbox, slack.driver
        boss = driver.add_user("boss", real_name="Bea Boss")
        channel = driver.add_channel("retention-team", members=[boss])
        settings: Mapping[str, str] = {
            "DATABASE_URL": sqlite_url,
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_BASE_URL": telegram.bot_api_base_url,
            **slack_settings(slack, channel, SECRET),
            "SLACK_ADMIN_USER_IDS": boss,
            "RETENTION_CONFIG": str(rules),
            "TIMEZONE": tz.key,
            "DIGEST_TIME": "23:00",  # not due: its chart would add seconds and nothing to this test
            "LOG_FORMAT": "json",
        }
        async with running_bot(tmp_path, settings, parts=("telegram", "slack", "scheduler")) as bot:
            start = await scrape(bot)

            # Jobs: "running" came after the start-up catch-up returned; each run is in job_run.
            ran = jobs_in_database(sqlite_url)
            assert ran, "the start-up catch-up ran no job"
            assert job_runs(start) == {key: float(n) for key, n in ran.items()}
            assert value(start, "retention_database_up") == 1

            # Slack: a signed slash command on /slack/events is one update handled.
            driver.connect_app(f"{bot.url}/slack/events")
            response = await driver.send_slash_command("/crm", "help", user=boss, channel=channel)
            assert response.status == 200, response
            await driver.next_ephemeral(boss, within=10.0)
            helped = await scrape(bot)
            assert updates(helped, "slack") == updates(start, "slack") + 1

            # Telegram: /start and the shared phone number are updates handled, and get answers.
            ann = new_chat(tg, "Ann", phone="+14155550101")
            await join(ann)
            started = await scrape(bot)
            assert updates(started, "telegram") == updates(helped, "telegram") + 2
            assert sent(started, "telegram") >= sent(helped, "telegram") + 2

            # The CLI queues a trickle survey for Ann meanwhile (a process start takes seconds).
            trickle = asyncio.create_task(
                run_cli(tmp_path, settings, "survey", "send", "--customer", f"tg-{ann.id}", "--trickle")
            )

            # A complaint opens a conversation (waiting for staff) and posts its alert in Slack,
            # the only chat.postMessage in a fresh one-a-minute window.
            driver.advance_clock(WINDOW + 1)
            driver.set_rate_limit("chat.postMessage", 1)
            tg.push_text(ann.id, "/feedback My order arrived broken and nobody answers the phone")
            await ann.next(timeout=10)
            [alert] = await eventually(
                lambda: [m for m in driver.messages(channel) if "arrived broken" in json.dumps(m)],
                "the alert",
            )
            complained = await rises(bot, lambda s: value(s, WAITING), started, "a conversation waiting")
            assert value(complained, WAITING) == value(started, WAITING) + 1
            assert sent(complained, "slack") >= sent(started, "slack") + 1

            # Slack 429: the alert's post leaves the window RELAY_MARGIN seconds from now, so the
            # relay of Ann's next message is refused (Retry-After 1-3 s), waited out and sent.
            age = slack.state.now() - float(alert["ts"])
            driver.advance_clock(WINDOW - RELAY_MARGIN - age)
            tg.push_text(ann.id, "Hello? Is anyone there?")
            await eventually(
                lambda: len(driver.messages(channel, thread_ts=alert["ts"])) == 2, "the relay", within=15
            )
            relayed = await scrape(bot)
            assert errors(relayed, "slack", "rate_limited") == errors(complained, "slack", "rate_limited") + 1
            assert sent(relayed, "slack") >= sent(complained, "slack") + 1

            # The trickle campaign stays queued (daily cap 0): the outbox depth is one more.
            await trickle
            queued = await scrape(bot)
            assert value(queued, OUTBOX) == value(started, OUTBOX) + 1

            # Telegram 403: Bob blocked the bot and it has not heard yet; the survey staff send
            # him is refused, and counted as blocked.
            bob = new_chat(tg, "Bob", phone="+14155550102")
            await join(bob)
            with tg.state.lock:
                tg.state.chats[bob.id].blocked = True
            await driver.send_slash_command("/crm", f"survey tg-{bob.id}", user=boss, channel=channel)
            refused = await rises(bot, lambda s: errors(s, "telegram", "blocked"), queued, "the 403")
            assert errors(refused, "telegram", "blocked") == errors(queued, "telegram", "blocked") + 1
            assert tg.stats.errors[403] == 1
            logs = bot.output()

    lines = [line for line in logs.splitlines() if line.startswith("{")]
    assert any(json.loads(line)["logger"] == "bot.jobs.scheduler" for line in lines), logs
    assert slack.state.ws.bot_token not in logs and tg.token not in logs
