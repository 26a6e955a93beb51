"""`retention-bot survey send` as staff run it: a real process sending through the sandbox's Bot API."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.context import AppContext
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.services.chat_preferences import set_promotions
from bot.services.customers import create_customer, link_chat
from tests.e2e.test_cli_data import run


@pytest.fixture
def db(tmp_path: Path, sqlite_template: Path) -> Path:
    """A migrated database file (a copy of the session's template: no migration run per test)."""
    path = tmp_path / "retention.db"
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as server:
        yield server


def telegram_env(server: SandboxServer) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": server.sandbox.token, "TELEGRAM_API_BASE_URL": server.bot_api_base_url}


def linked(db: Path, server: SandboxServer, names: list[str]) -> list[int]:
    """Customers with linked chats (created with the system clock, as the command runs on it)."""
    ctx = AppContext.from_settings(Settings(_env_file=None, database_url=f"sqlite:///{db}"))  # type: ignore[call-arg]
    chats = []
    try:
        for n, name in enumerate(names):
            user = server.sandbox.create_user(name)
            with ctx.uow() as uow:
                customer = create_customer(uow, ctx.clock, external_id=f"C{n}", name=name)
                link_chat(
                    uow, ctx.clock, customer, platform="telegram", user_id=str(user.id), chat_id=str(user.id)
                )
            if name.startswith("Opted"):
                set_promotions(ctx.uow(), ctx.clock, customer_id=customer.id or 0, allowed=False)
            chats.append(user.id)
    finally:
        ctx.close()
    return chats


def test_survey_send_surveys_the_segment_and_reports_who_was_skipped(
    db: Path, sandbox_server: SandboxServer
) -> None:
    ann, bob, opted = linked(db, sandbox_server, ["Ann", "Bob", "Opted Out"])
    result = run(db, "survey", "send", "--segment", "all", **telegram_env(sandbox_server))
    assert result.returncode == 0, result.stderr
    assert "2 survey(s) queued" in result.stdout and "skipped (opted out): 1" in result.stdout
    assert "Campaign 1 done: sent 2, skipped 1." in result.stdout
    sandbox = sandbox_server.sandbox
    assert [len(sandbox.bot_messages(chat)) for chat in (ann, bob, opted)] == [1, 1, 0]
    again = run(db, "survey", "send", "--customer", "C0", **telegram_env(sandbox_server))
    assert again.returncode == 0, again.stderr
    assert "cool-down overridden" in again.stdout and "skipped (survey in progress): 1" in again.stdout


def test_survey_send_refuses_bad_usage_with_one_line_and_exit_2(
    db: Path, sandbox_server: SandboxServer
) -> None:
    both = run(db, "survey", "send", "--segment", "all", "--customer", "C1", **telegram_env(sandbox_server))
    assert both.returncode == 2 and "exactly one of --segment NAME or --customer ID" in both.stderr
    no_scores = run(db, "survey", "send", "--segment", "Champions", **telegram_env(sandbox_server))
    assert no_scores.returncode == 2
    assert no_scores.stderr.strip().startswith("error: no customer scores yet")
    no_token = run(db, "survey", "send", "--segment", "all")
    assert no_token.returncode == 2 and "TELEGRAM_BOT_TOKEN is not set" in no_token.stderr
    assert "Traceback" not in both.stderr + no_scores.stderr + no_token.stderr
