"""The schedule itself, in the real `retention-bot run` on the system clock (SPEC §6).

No test here calls a job or a tick: each starts the production process, sets a daily job's time some
seconds ahead, and waits for the process to do the work at that time, and not before. (The
daily digest once shipped never firing in a process left running, while every test that called
the tick directly passed.)
"""

from __future__ import annotations

import asyncio
import itertools
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import SandboxServer, SandboxUser, TelegramSandbox
from bot.services.customers import create_customer, link_chat
from bot.services.purchases import record_purchase
from storage.models import JobRun
from tests.conftest import make_context
from tests.support.bot_process import (
    BINARY,
    clean_env,
    free_port,
    run_cli,
    running_bot,
    slack_settings,
)

SECRET = "schedule-signing-secret"
LEAD = timedelta(seconds=40)
"""How far ahead a job's time is set: room for the processes to start before it."""
T = TypeVar("T")


def midday_zone() -> ZoneInfo:
    """A real IANA zone in which it is about noon now: a minute ahead is still today, inside the
    default contact window (10:00-20:00), and far from the fixed daily jobs' times."""
    offset = 12 - datetime.now(UTC).hour  # -11 … +12; Etc/GMT-N is UTC+N
    return ZoneInfo("Etc/GMT" + (f"{-offset:+d}" if offset else ""))


def moment_ahead(tz: ZoneInfo) -> datetime:
    """The first whole local second LEAD from now (DIGEST_TIME and the rules' times take seconds)."""
    return (datetime.now(tz) + LEAD).replace(microsecond=0)


async def sleep_until(moment: datetime) -> None:
    await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


async def wait_for(probe: Callable[[], T | None], until: datetime, what: str) -> T:
    """Poll `probe` until it returns something, failing at `until` (wall clock)."""
    while True:
        found = probe()
        if found:
            return found
        if datetime.now(UTC) >= until:
            raise AssertionError(f"{what} did not happen by {until.astimezone(UTC):%H:%M:%S} UTC")
        await asyncio.sleep(0.2)


def job_runs(database_url: str, job_name: str) -> list[JobRun]:
    ctx = make_context(database_url, ManualClock(datetime.now(UTC)))
    try:
        with ctx.uow() as uow:
            return list(uow.session.exec(select(JobRun).where(JobRun.job_name == job_name)).all())
    finally:
        ctx.close()


@pytest.mark.postgres
async def test_two_running_processes_post_the_digest_once_at_digest_time_and_not_before(
    postgres_url: str, tmp_path: Path
) -> None:
    tz = midday_zone()
    due = moment_ahead(tz)
    async with SlackSandbox(Workspace(signing_secret=SECRET)) as sandbox:
        driver = sandbox.driver
        boss = driver.add_user("boss", real_name="Bea Boss")
        channel = driver.add_channel("retention-team", members=[boss])
        bot_id = sandbox.state.ws.bot_id

        def digests() -> list[dict[str, Any]]:
            return [
                m
                for m in driver.messages(channel)
                if m.get("bot_id") == bot_id and "digest" in str(m.get("text", "")).lower()
            ]

        settings = {
            "DATABASE_URL": postgres_url,
            **slack_settings(sandbox, channel, SECRET),
            "TIMEZONE": tz.key,
            "DIGEST_TIME": f"{due:%H:%M:%S}",
        }
        both = ("slack", "scheduler")
        async with (
            running_bot(tmp_path, settings, "--no-telegram", parts=both) as first,
            running_bot(tmp_path, settings, "--no-telegram", parts=both) as second,
        ):
            assert datetime.now(UTC) < due, "the processes took longer to start than the lead"
            await sleep_until(due - timedelta(seconds=1))
            assert digests() == [], "the digest was posted before DIGEST_TIME"

            [posted] = await wait_for(digests, due + timedelta(seconds=15), "the digest")
            await asyncio.sleep(5)  # both processes woke at the same moment: the other one had its chance
            assert [m["ts"] for m in digests()] == [posted["ts"]]
            assert float(posted["ts"]) >= due.timestamp()
            logs = first.output() + second.output()

    [run] = job_runs(postgres_url, "digest")
    assert (run.period, run.status) == (due.date().isoformat(), "done")
    assert logs.count(f"job digest for {due.date().isoformat()}") == 1, logs
    # What the README tells a shop to look at: `retention-bot jobs` shows the day's digest as done.
    jobs = await run_cli(tmp_path, settings, "jobs")
    [row] = [line for line in jobs.splitlines() if line.startswith("│ digest ") and run.period in line]
    assert "│ done " in row, jobs
    assert posted["ts"] in run.detail
    assert "⟦" not in jobs and '"channel"' not in jobs  # people read the summary, not the job's own record


async def test_a_process_started_after_digest_time_catches_up_once_and_a_restart_does_not_post_again(
    sqlite_url: str, tmp_path: Path
) -> None:
    tz = midday_zone()
    passed = datetime.now(tz) - timedelta(minutes=1)  # the bot was down at DIGEST_TIME
    async with SlackSandbox(Workspace(signing_secret=SECRET)) as sandbox:
        channel = sandbox.driver.add_channel("retention-team")
        bot_id = sandbox.state.ws.bot_id

        def digests() -> list[dict[str, Any]]:
            return [m for m in sandbox.driver.messages(channel) if m.get("bot_id") == bot_id]

        settings = {
            "DATABASE_URL": sqlite_url,
            **slack_settings(sandbox, channel, SECRET),
            "TIMEZONE": tz.key,
            "DIGEST_TIME": f"{passed:%H:%M}",
        }
        both = ("slack", "scheduler")
        async with running_bot(tmp_path, settings, "--no-telegram", parts=both) as first:
            [posted] = await wait_for(
                digests, datetime.now(UTC) + timedelta(seconds=15), "the catch-up digest"
            )
            await first.caught_up()
        async with running_bot(tmp_path, settings, "--no-telegram", parts=both) as restarted:
            await restarted.caught_up()
            assert [m["ts"] for m in digests()] == [posted["ts"]]
            assert "job digest for" not in restarted.output()
    [run] = job_runs(sqlite_url, "digest")
    assert (run.period, run.status) == (passed.date().isoformat(), "done")


async def test_a_digest_slack_refuses_is_tried_six_times_on_growing_delays_then_the_admins_are_told_once(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The app is not in the team channel: Slack answers not_in_channel to every try. The running
    process tries again after 1, 2, 4, 8 and 16 units (here seconds; a minute in production), gives
    up after the sixth try and, since the channel itself is the problem, tells the admins by DM."""
    tz = midday_zone()
    passed = datetime.now(tz) - timedelta(minutes=1)
    rules = tmp_path / "rules.toml"
    rules.write_text("[schedule]\nretry_first_delay_seconds = 1\n", encoding="utf-8")
    async with SlackSandbox(Workspace(signing_secret=SECRET)) as sandbox:
        driver = sandbox.driver
        boss = driver.add_user("boss", real_name="Bea Boss")
        channel = driver.add_channel("retention-team", members=[boss], bot_member=False)
        dm = driver.dm_channel(boss)
        settings = {
            "DATABASE_URL": sqlite_url,
            **slack_settings(sandbox, channel, SECRET),
            "SLACK_ADMIN_USER_IDS": boss,
            "TIMEZONE": tz.key,
            "DIGEST_TIME": f"{passed:%H:%M}",
            "RETENTION_CONFIG": str(rules),
        }
        both = ("slack", "scheduler")
        async with running_bot(tmp_path, settings, "--no-telegram", parts=both) as bot:
            [report] = await wait_for(
                lambda: driver.messages(dm), datetime.now(UTC) + timedelta(seconds=60), "the report"
            )
            await asyncio.sleep(3)
            assert len(driver.messages(dm)) == 1
            assert driver.messages(channel) == []
            logs = bot.output()
        jobs = await run_cli(tmp_path, settings, "jobs")

    assert "digest" in report["text"] and "not_in_channel" in report["text"]
    assert "/invite @retention-bot" in report["text"]
    tries = [line for line in logs.splitlines() if "job digest for" in line and "failed" in line]
    assert [f"try {n} of 6" in line for n, line in enumerate(tries, start=1)] == [True] * 6, logs
    moments = [datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f") for line in tries]
    waits = [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]
    # Each wait is the delay (counted from the failure) plus one try's work and the wake-up; a log
    # line comes after its try's bookkeeping commit, which a loaded machine can slow by a fraction
    # of a second, so a gap may look that much shorter than its delay.
    assert all(d - 0.5 <= w < d + 1.5 for d, w in zip([1, 2, 4, 8, 16], waits, strict=True)), waits
    [run] = job_runs(sqlite_url, "digest")
    assert (run.status, run.attempts) == ("gave_up", 6)
    [row] = [line for line in jobs.splitlines() if line.startswith("│ digest ") and run.period in line]
    assert "gave up" in row and "6 of 6" in row, jobs


def linked_customer(ctx: AppContext, sandbox: TelegramSandbox, name: str) -> tuple[int, SandboxUser]:
    """A customer whose Telegram chat is linked (as after /start and sharing the phone number)."""
    user = sandbox.create_user(name, language_code="en")
    with ctx.uow() as uow:
        customer = create_customer(uow, ctx.clock, external_id=f"{name.lower()}-1", name=name)
        link_chat(uow, ctx.clock, customer, platform="telegram", user_id=str(user.id), chat_id=str(user.id))
    assert customer.id is not None
    return customer.id, user


async def test_a_running_process_sends_due_post_purchase_surveys_and_campaigns_queued_elsewhere(
    sqlite_url: str, tmp_path: Path
) -> None:
    """The scheduler's post-purchase job at its time, and the Telegram part's own upkeep loop picking
    up a trickle campaign that another process (the CLI) queued while the bot was running."""
    tz = midday_zone()
    due = moment_ahead(tz)
    rules = tmp_path / "rules.toml"
    rules.write_text(
        f'[schedule]\npost_purchase_survey_at = "{due:%H:%M:%S}"\n\n[survey]\npost_purchase_delay_days = 1\n',
        encoding="utf-8",
    )
    sandbox = TelegramSandbox()
    async with SandboxServer(sandbox) as server:
        yesterday = make_context(sqlite_url, ManualClock(datetime.now(UTC) - timedelta(days=1)))
        ann_id, ann = linked_customer(yesterday, sandbox, "Ann")
        _, bo = linked_customer(yesterday, sandbox, "Bo")
        record_purchase(
            yesterday.uow(), yesterday.clock, yesterday.rules, tz, customer_id=ann_id, amount=Decimal("25")
        )
        yesterday.close()

        settings = {
            "DATABASE_URL": sqlite_url,
            "TELEGRAM_BOT_TOKEN": sandbox.token,
            "TELEGRAM_API_BASE_URL": server.bot_api_base_url,
            "TIMEZONE": tz.key,
            "RETENTION_CONFIG": str(rules),
            "BUSINESS_NAME": "Tea House",
        }
        async with running_bot(tmp_path, settings, "--no-slack", parts=("telegram", "scheduler")) as bot:
            queued = await run_cli(tmp_path, settings, "survey", "send", "--customer", "bo-1", "--trickle")
            queued_at = datetime.now(UTC)
            assert "1 survey(s) queued" in queued
            assert datetime.now(UTC) < due, "the process took longer to start than the lead"
            await sleep_until(due - timedelta(seconds=1))
            assert sandbox.bot_messages(ann.id) == [], "the survey went out before its time"

            [survey] = await wait_for(
                lambda: sandbox.bot_messages(ann.id), due + timedelta(seconds=15), "the post-purchase survey"
            )
            # The upkeep loop runs every minute: the queued campaign goes out by its next round.
            [trickled] = await wait_for(
                lambda: sandbox.bot_messages(bo.id), queued_at + timedelta(seconds=75), "the queued survey"
            )
            await asyncio.sleep(3)
            assert len(sandbox.bot_messages(ann.id)) == len(sandbox.bot_messages(bo.id)) == 1, bot.output()

    for message in (survey, trickled):
        assert (message.text or "").startswith("How likely are you to recommend Tea House")
        assert message.reply_markup is not None and "inline_keyboard" in message.reply_markup
    [run] = job_runs(sqlite_url, "post-purchase-survey")
    assert (run.period, run.status) == (due.date().isoformat(), "done")
    assert "1 queued" in run.detail


async def test_sigterm_while_socket_mode_cannot_reach_slack_stops_the_bot_cleanly(
    sqlite_url: str, tmp_path: Path
) -> None:
    """`systemctl stop` sends SIGTERM; a part stuck starting (slack-sdk retries an unreachable Socket
    Mode connection forever) must not make it wait for the kill."""
    nowhere = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    settings = {
        "DATABASE_URL": sqlite_url,
        "SLACK_BOT_TOKEN": "xoxb-0000000000-unreachable",
        "SLACK_APP_TOKEN": "xapp-1-A0000000000-0000000000000-unreachable",
        "SLACK_API_BASE_URL": nowhere,
    }
    log = tmp_path / "run.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            str(BINARY), "run", "--no-telegram", "--no-scheduler", cwd=tmp_path,
            env=clean_env({**settings, "HTTP_PORT": str(free_port())}), stdout=sink, stderr=sink,
        )  # fmt: skip
    try:
        await wait_for(
            lambda: "Slack" in log.read_text(errors="replace") or process.returncode is not None,
            datetime.now(UTC) + timedelta(seconds=30),
            "a Socket Mode connection attempt",
        )
        await asyncio.sleep(2)
        assert process.returncode is None, log.read_text(errors="replace")  # still trying to connect
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 15)
        assert code == 0, log.read_text(errors="replace")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "stopping during start-up" in log.read_text(errors="replace")
