"""`retention-bot survey send` killed with SIGKILL halfway, then `survey resume`: real processes
against the Telegram sandbox (slowed by its flood limit so the kill lands mid-campaign), checked from
the sandbox's side (what each chat received) and in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlmodel import col, func, select

from bot.config import Settings
from bot.context import AppContext
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.senders import new_sender_id
from bot.services.campaign_lease import IN_DOUBT, release_lease
from bot.services.campaigns import claim_batch, start_campaign
from bot.services.customers import create_customer, link_chat
from handlers.telegram.application import build_bot
from handlers.telegram.calls import ServiceCalls
from handlers.telegram.campaign_sender import deliver
from storage.models import Interaction, SurveyCampaign, SurveyDispatch

BIN = Path(sys.executable).parent / "retention-bot"
CUSTOMERS = 60
SLOW = FloodLimits(overall_per_second=20, overall_burst=10, per_chat_per_second=None)
"""About 20 surveys a second get through (the rest are answered 429, and PTB's rate limiter then pauses
every send): 60 take three seconds or more, so a kill after the first 15 lands mid-campaign."""

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def slow_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(TelegramSandbox(flood_limits=SLOW)) as server:
        yield server


def context(database_url: str, server: SandboxServer) -> AppContext:
    """What the CLI builds from its environment (the system clock), for setting up and checking."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        telegram_bot_token=server.sandbox.token,
        telegram_api_base_url=server.bot_api_base_url,
    )
    return AppContext.from_settings(settings)


def environment(database_url: str, server: SandboxServer) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": server.sandbox.token,
        "TELEGRAM_API_BASE_URL": server.bot_api_base_url,
        "COLUMNS": "200",
        "PYTHONIOENCODING": "utf-8",
    }


def link_customers(ctx: AppContext, server: SandboxServer, count: int) -> list[int]:
    """Customers whose chats are linked already; returns their sandbox chat ids."""
    users = [server.sandbox.create_user(f"Guest {n}") for n in range(count)]
    with ctx.uow() as uow:
        for n, user in enumerate(users):
            customer = create_customer(uow, ctx.clock, external_id=f"C{n:03d}", name=user.first_name)
            link_chat(
                uow, ctx.clock, customer, platform="telegram", user_id=str(user.id), chat_id=str(user.id)
            )
    return [user.id for user in users]


def received(server: SandboxServer, chats: list[int]) -> Counter[int]:
    """Chat id → survey questions the sandbox delivered to it."""
    return Counter({chat: len(server.sandbox.bot_messages(chat)) for chat in chats})


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def start(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """The command as a child process; its stderr (logs, the progress bar) goes to a file."""
    with open(tmp_path / f"{args[1]}.stderr", "a", encoding="utf-8") as stderr:
        return subprocess.Popen(
            [str(BIN), *args],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
        )


def collect(stream: IO[str] | None) -> tuple[list[str], threading.Thread]:
    """Lines of a child's output as they come (read by a thread, so the test can wait for one)."""
    lines: list[str] = []
    assert stream is not None
    reader = threading.Thread(target=lambda: lines.extend(stream), daemon=True)
    reader.start()
    return lines, reader


def surveys_logged(ctx: AppContext) -> Counter[int]:
    """Customer id → survey messages the bot logged as sent (the timeline and the contact rules)."""
    with ctx.uow() as uow:
        rows = uow.session.exec(
            select(Interaction.customer_id, func.count())
            .where(Interaction.kind == "survey", Interaction.direction == "outbound")
            .group_by(col(Interaction.customer_id))
        ).all()
        return Counter(dict(rows))


def test_a_survey_send_killed_halfway_is_resumed_without_skipping_anyone(
    database_url: str, slow_sandbox: SandboxServer, tmp_path: Path
) -> None:
    ctx = context(database_url, slow_sandbox)
    try:
        chats = link_customers(ctx, slow_sandbox, CUSTOMERS)
        env = environment(database_url, slow_sandbox)
        sender = start(tmp_path, env, "survey", "send", "--segment", "all")
        try:
            wait_until(lambda: received(slow_sandbox, chats).total() >= 15, "the first surveys")
        finally:
            sender.send_signal(signal.SIGKILL)
            sender.wait(timeout=30)
        assert sender.returncode == -signal.SIGKILL
        at_kill = received(slow_sandbox, chats).total()
        assert 15 <= at_kill < CUSTOMERS, "the kill must land mid-campaign"

        resumed = subprocess.run(
            [str(BIN), "survey", "resume", "1"],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=False,
        )
        assert resumed.returncode == 0, resumed.stderr
        found = re.search(r"^(\d+) survey\(s\) in doubt", resumed.stdout, re.MULTILINE)
        assert found is not None, resumed.stdout
        in_doubt = int(found[1])
        assert in_doubt >= 1  # the sender was killed with surveys claimed
        assert f"Campaign 1 done: sent {CUSTOMERS}." in resumed.stdout

        got = received(slow_sandbox, chats)
        assert all(got[chat] >= 1 for chat in chats), "somebody was skipped"
        assert max(got.values()) <= 2
        twice = sum(1 for chat in chats if got[chat] == 2)
        assert twice <= in_doubt

        with ctx.uow() as uow:
            campaign = uow.session.get(SurveyCampaign, 1)
            assert campaign is not None and campaign.status == "done" and campaign.sender_id is None
            dispatches = uow.session.exec(select(SurveyDispatch)).all()
        assert len(dispatches) == CUSTOMERS and {d.status for d in dispatches} == {"sent"}
        assert sum(1 for d in dispatches if d.skip_reason == IN_DOUBT) == in_doubt
        assert surveys_logged(ctx) == Counter({d.customer_id: 1 for d in dispatches})
    finally:
        ctx.close()


def test_resume_waits_for_a_living_sender_and_resends_none_of_its_surveys_in_flight(
    database_url: str, slow_sandbox: SandboxServer, tmp_path: Path
) -> None:
    ctx = context(database_url, slow_sandbox)
    try:
        chats = link_customers(ctx, slow_sandbox, CUSTOMERS)
        live = new_sender_id("test")  # this test process is the living sender
        summary = start_campaign(
            ctx.uow(), ctx.clock, ctx.rules, started_by="test", segment="all", sender_id=live
        )
        in_flight = claim_batch(
            ctx.uow(),
            ctx.clock,
            ctx.rules,
            ctx.settings.tz,
            campaign_id=summary.campaign_id,
            limit=10,
            default_language="en",
            sender_id=live,
        )
        resume = start(
            tmp_path, environment(database_url, slow_sandbox), "survey", "resume", str(summary.campaign_id)
        )
        try:
            output, reader = collect(resume.stdout)
            wait_until(lambda: any("waiting" in line for line in output), "resume to wait for the lease")
            time.sleep(2)  # resume keeps its hands off while the lease is fresh
            assert received(slow_sandbox, chats).total() == 0
            with ctx.uow() as uow:
                states = Counter(uow.session.exec(select(SurveyDispatch.status)).all())
            assert states == Counter({"queued": CUSTOMERS - 10, "sending": 10})

            async def finish_sending() -> None:
                call = ServiceCalls(ctx)
                try:
                    async with build_bot(ctx.settings) as bot:
                        for prompt in in_flight:
                            assert await deliver(ctx, bot, prompt, call)
                finally:
                    await call.close()

            asyncio.run(finish_sending())
            release_lease(ctx.uow(), campaign_id=summary.campaign_id, sender_id=live)
            resume.wait(timeout=60)
        finally:
            if resume.poll() is None:
                resume.kill()
            resume.wait(timeout=30)
        reader.join(timeout=10)
        assert resume.returncode == 0, (tmp_path / "resume.stderr").read_text(encoding="utf-8")
        text = "".join(output)
        assert "No survey was in doubt." in text
        assert f"Campaign {summary.campaign_id} done: sent {CUSTOMERS}." in text
        assert received(slow_sandbox, chats) == Counter({chat: 1 for chat in chats})
    finally:
        ctx.close()
