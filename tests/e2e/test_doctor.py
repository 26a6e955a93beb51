"""`retention-bot doctor` (SPEC §11) against the sandbox Telegram and Slack over loopback HTTP.

A complete setup passes (exit 0); each thing a live setup can get wrong fails alone with exit 1,
the right check failed, and a fix. The all-green run, a bad Telegram token and `run`'s start-up
log use the real console script in a fresh directory whose `.env` is the only configuration; the
other cases call the same Typer app in-process (CliRunner) to keep the file fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.config import Settings
from bot.demo.runner import free_port
from bot.doctor.manifest import bot_scopes
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import SandboxServer, TelegramSandbox
from tests.support.bot_process import slack_settings, telegram_settings

BINARY = Path(sys.executable).parent / "retention-bot"
SECRET = "doctor-signing-secret"
SETTINGS = [name.upper() for name in Settings.model_fields]
EVERY_CHECK = [
    "settings", "rules", "database", "telegram token", "telegram webhook", "slack token", "slack scopes",
    "slack channel", "slack connection", "timezone", "digest time",
]  # fmt: skip


@dataclass
class Shop:
    """A shop's setup: the sandboxes, a migrated database, and its directory with a `.env`."""

    telegram: SandboxServer
    slack: SlackSandbox
    channel: str
    directory: Path
    values: dict[str, str]

    def env_file(self, **changes: str | None) -> None:
        """Write `.env` from the complete setup with these values changed (None: left out)."""
        values = {**self.values, **changes}
        lines = [f"{key}={value}" for key, value in values.items() if value is not None]
        (self.directory / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")

    def doctor(self, *args: str, **changes: str | None) -> tuple[int, dict[str, Any]]:
        """`retention-bot doctor --json` in-process (call it in a thread: it runs its own event loop)."""
        self.env_file(**changes)
        cwd = Path.cwd()
        os.chdir(self.directory)
        try:
            result = CliRunner().invoke(app, ["doctor", "--json", *args], env=dict.fromkeys(SETTINGS))
        finally:
            os.chdir(cwd)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result.exit_code, json.loads(result.stdout)


def environment() -> dict[str, str]:
    """This process's environment without any setting: only the `.env` file configures the bot."""
    env = {key: value for key, value in os.environ.items() if key.upper() not in SETTINGS}
    env["COLUMNS"] = "200"  # rich wraps at 80 columns without a terminal
    return env


def row(lines: list[str], name: str) -> tuple[str, str]:
    """The status and the line of one check in the table: `failed   telegram token    detail`."""
    (found,) = [line for line in lines if re.match(rf"(ok|warning|failed|skipped) +{name}  ", line)]
    return found.split()[0], found


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["name"]: check for check in report["checks"]}


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in report["checks"]}


@pytest.fixture
async def shop(tmp_path: Path, sqlite_url: str) -> AsyncIterator[Shop]:
    async with (
        SandboxServer(TelegramSandbox()) as telegram,
        SlackSandbox(Workspace(signing_secret=SECRET)) as slack,
    ):
        staff = slack.driver.add_user("alice")
        channel = slack.driver.add_channel("retention-team", members=[staff])
        directory = tmp_path / "shop"
        directory.mkdir()
        values = {
            "DATABASE_URL": sqlite_url,
            **telegram_settings(telegram),
            **slack_settings(slack, channel, SECRET),
            "TIMEZONE": "Asia/Taipei",
            "DIGEST_TIME": "08:30",
        }
        yield Shop(telegram, slack, channel, directory, values)


async def test_a_complete_setup_passes_every_check(shop: Shop) -> None:
    shop.env_file()
    process = await asyncio.create_subprocess_exec(
        str(BINARY), "doctor", "--json", cwd=shop.directory, env=environment(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    report = json.loads(out)

    assert process.returncode == 0, (out, err)
    assert report["ok"] is True
    assert [check["name"] for check in report["checks"]] == EVERY_CHECK
    assert set(statuses(report).values()) == {"ok"}, report
    assert all(check["fix"] is None for check in report["checks"])
    checks = by_name(report)
    assert "Telegram (long polling) and Slack (HTTP mode) set up; read from" in checks["settings"]["detail"]
    assert checks["telegram webhook"]["detail"].startswith("long polling: no webhook set")
    assert checks["slack channel"]["detail"] == f"#retention-team ({shop.channel}): the app is a member"
    assert f"all {len(bot_scopes())} bot scopes" in checks["slack scopes"]["detail"]
    assert checks["timezone"]["detail"].startswith("Asia/Taipei: it is ")
    assert "(UTC+08:00)" in checks["timezone"]["detail"]
    assert checks["digest time"]["detail"].startswith("DIGEST_TIME 08:30: the next digest is due ")
    text = out.decode() + err.decode()
    for secret in (shop.telegram.sandbox.token, shop.slack.state.ws.bot_token, SECRET):
        assert secret not in text


async def test_a_bad_telegram_token_fails_with_the_botfather_fix(shop: Shop) -> None:
    token = shop.telegram.sandbox.token
    wrong = token.split(":")[0] + ":" + "x" * 35
    shop.env_file(TELEGRAM_BOT_TOKEN=wrong)
    process = await asyncio.create_subprocess_exec(
        str(BINARY), "doctor", cwd=shop.directory, env=environment(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    lines = out.decode().splitlines()

    assert process.returncode == 1, out.decode()
    status, line = row(lines, "telegram token")
    assert status == "failed"
    assert "Telegram answered getMe with 401 Unauthorized: the token is wrong or was revoked" in line
    fix = lines[lines.index(line) + 1].strip()
    assert fix.startswith("fix: copy the token from @BotFather again")
    assert row(lines, "telegram webhook")[0] == "skipped"
    assert [row(lines, f"slack {name}")[0] for name in ("token", "scopes", "channel", "connection")] == [
        "ok"
    ] * 4
    assert "1 failed" in lines[-1] and "run `retention-bot doctor` again" in lines[-1]
    assert wrong not in out.decode() and token not in out.decode()


async def test_a_missing_slack_scope_is_named_with_the_reinstall_fix(shop: Shop) -> None:
    ws = shop.slack.state.ws
    ws.scopes = tuple(scope for scope in ws.scopes if scope != "files:write")

    code, report = await asyncio.to_thread(shop.doctor)

    assert code == 1 and report["ok"] is False
    failures = {name: check for name, check in by_name(report).items() if check["status"] == "failed"}
    assert list(failures) == ["slack scopes"]
    assert failures["slack scopes"]["detail"].startswith("the app lacks files:write")
    assert "Reinstall to Workspace" in failures["slack scopes"]["fix"]
    assert "slack-manifest.yml" in failures["slack scopes"]["fix"]


async def test_the_app_not_in_the_team_channel_fails_with_the_invite_fix(shop: Shop) -> None:
    outside = shop.slack.driver.add_channel("front-desk", bot_member=False)

    code, report = await asyncio.to_thread(shop.doctor, SLACK_TEAM_CHANNEL=outside)
    channel = by_name(report)["slack channel"]

    assert code == 1
    assert [name for name, status in statuses(report).items() if status == "failed"] == ["slack channel"]
    assert channel["detail"] == (
        f"#front-desk ({outside}) exists, but the app is not a member: alerts and the digest cannot be "
        "posted there"
    )
    assert channel["fix"] == "type /invite @retention-bot in #front-desk"


async def test_a_team_channel_slack_cannot_find_fails_and_says_an_id_is_needed(shop: Shop) -> None:
    code, report = await asyncio.to_thread(shop.doctor, SLACK_TEAM_CHANNEL="retention-team")
    channel = by_name(report)["slack channel"]

    assert code == 1 and channel["status"] == "failed"
    assert channel["detail"] == "Slack knows no channel retention-team that the app can see"
    assert "must be the channel's ID (C…), not its name" in channel["fix"]


async def test_an_unmigrated_database_fails_with_the_migrate_fix(shop: Shop) -> None:
    empty = shop.directory / "new.db"
    sqlite3.connect(empty).close()

    code, report = await asyncio.to_thread(shop.doctor, DATABASE_URL=f"sqlite:///{empty}")
    database = by_name(report)["database"]

    assert code == 1
    assert [name for name, status in statuses(report).items() if status == "failed"] == ["database"]
    assert "has no schema yet; this version needs revision" in database["detail"]
    assert database["fix"].startswith("run `retention-bot migrate`")


async def test_a_database_file_that_is_not_there_is_not_created_by_the_doctor(shop: Shop) -> None:
    code, report = await asyncio.to_thread(shop.doctor, DATABASE_URL="sqlite:///./retention.db")

    assert code == 1
    assert (
        by_name(report)["database"]["detail"] == f"no database file at {shop.directory / 'retention.db'} yet"
    )
    assert not (shop.directory / "retention.db").exists()


async def test_an_unreachable_webhook_url_fails_with_telegram_s_delivery_error(shop: Shop) -> None:
    sandbox = shop.telegram.sandbox
    url = f"http://127.0.0.1:{free_port()}/telegram/updates"  # nothing listens there
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            f"{shop.telegram.bot_api_base_url}{sandbox.token}/setWebhook", data={"url": url}
        )
        assert answer.json()["ok"] is True
        customer = sandbox.create_user("Ann", language_code="en")
        sandbox.push_text(customer.id, "/start")  # Telegram tries to deliver it, and fails
        for _ in range(200):
            info = (await http.get(f"{shop.telegram.bot_api_base_url}{sandbox.token}/getWebhookInfo")).json()
            if info["result"].get("last_error_message"):
                break
            await asyncio.sleep(0.02)
    assert info["result"]["last_error_message"] == "Connection refused"
    assert info["result"]["pending_update_count"] == 1

    code, report = await asyncio.to_thread(shop.doctor, TELEGRAM_WEBHOOK_URL=url)
    webhook = by_name(report)["telegram webhook"]

    assert code == 1
    assert [name for name, status in statuses(report).items() if status == "failed"] == ["telegram webhook"]
    assert webhook["detail"].startswith(f"Telegram cannot deliver to {url}: 'Connection refused' (")
    assert webhook["detail"].endswith("; 1 update waiting)")
    assert webhook["fix"].startswith(f"make sure {url} can be opened from the internet over HTTPS")


async def test_a_leftover_webhook_in_long_polling_mode_is_a_warning_with_its_fix(shop: Shop) -> None:
    sandbox = shop.telegram.sandbox
    async with httpx.AsyncClient() as http:
        await http.post(
            f"{shop.telegram.bot_api_base_url}{sandbox.token}/setWebhook",
            data={"url": "https://old.example/telegram"},
        )

    code, report = await asyncio.to_thread(shop.doctor)
    webhook = by_name(report)["telegram webhook"]

    assert code == 0 and report["ok"] is True
    assert webhook["status"] == "warning"
    assert "a webhook is set (https://old.example/telegram)" in webhook["detail"]
    assert "`retention-bot run` removes a leftover webhook when it starts" in webhook["fix"]


async def test_a_bad_slack_token_fails_with_invalid_auth_and_the_token_fix(shop: Shop) -> None:
    code, report = await asyncio.to_thread(shop.doctor, SLACK_BOT_TOKEN="xoxb-not-the-real-token")
    checks = by_name(report)

    assert code == 1
    assert [name for name, status in statuses(report).items() if status == "failed"] == ["slack token"]
    assert checks["slack token"]["detail"] == "Slack refused the token: invalid_auth"
    assert "Bot User OAuth Token (xoxb-…)" in checks["slack token"]["fix"]
    assert checks["slack scopes"]["status"] == checks["slack channel"]["status"] == "skipped"
    assert "xoxb-not-the-real-token" not in json.dumps(report)


async def test_telegram_not_configured_is_skipped_not_failed(shop: Shop) -> None:
    code, report = await asyncio.to_thread(shop.doctor, TELEGRAM_BOT_TOKEN=None)
    checks = by_name(report)

    assert code == 0 and report["ok"] is True
    assert checks["telegram token"] == {
        "name": "telegram token",
        "status": "skipped",
        "detail": "TELEGRAM_BOT_TOKEN not set: the Telegram part is off",
        "fix": None,
    }


async def test_nothing_configured_fails_the_settings_check(shop: Shop) -> None:
    code, report = await asyncio.to_thread(shop.doctor, TELEGRAM_BOT_TOKEN=None, SLACK_BOT_TOKEN=None)
    settings = by_name(report)["settings"]

    assert code == 1 and settings["status"] == "failed"
    assert settings["detail"].startswith("neither TELEGRAM_BOT_TOKEN nor SLACK_BOT_TOKEN is set")


async def test_socket_mode_needs_an_app_level_token(shop: Shop) -> None:
    code, report = await asyncio.to_thread(shop.doctor, SLACK_APP_TOKEN="xoxb-pasted-in-the-wrong-place")
    connection = by_name(report)["slack connection"]

    assert code == 1 and connection["status"] == "failed"
    assert connection["detail"] == (
        "Socket Mode needs an app-level token (xapp-…), but SLACK_APP_TOKEN is a bot token (xoxb-…)"
    )
    assert "App-Level Tokens" in connection["fix"]


async def test_bad_settings_keep_the_one_line_exit_2(shop: Shop) -> None:
    shop.env_file(TIMEZONE="Mars/Olympus")
    cwd = Path.cwd()
    os.chdir(shop.directory)
    try:
        result = await asyncio.to_thread(CliRunner().invoke, app, ["doctor"], env=dict.fromkeys(SETTINGS))
    finally:
        os.chdir(cwd)

    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: TIMEZONE: Value error, TIMEZONE 'Mars/Olympus' is not an IANA time zone name "
        "(e.g. Asia/Taipei)"
    ]


async def test_run_logs_what_the_doctor_finds_and_starts_anyway(shop: Shop) -> None:
    outside = shop.slack.driver.add_channel("front-desk", bot_member=False)
    port = free_port()
    shop.env_file(TELEGRAM_BOT_TOKEN=None, SLACK_TEAM_CHANNEL=outside, HTTP_PORT=str(port))
    log = shop.directory / "run.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            str(BINARY),
            "run",
            "--no-scheduler",
            cwd=shop.directory,
            env=environment(),
            stdout=sink,
            stderr=sink,
        )
    try:
        health: dict[str, Any] = {}
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                assert process.returncode is None, log.read_text()
                try:
                    health = (await http.get(f"http://127.0.0.1:{port}/healthz", timeout=2)).json()
                except httpx.HTTPError:
                    health = {}
                if health.get("slack") == "running":
                    break
                await asyncio.sleep(0.1)
        assert health.get("slack") == "running", log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    output = log.read_text()
    lines = [line for line in output.splitlines() if "retention_bot.doctor" in line]

    assert code == 0, output
    warnings = [line for line in lines if " WARNING " in line]
    assert len(warnings) == 1, lines
    assert (
        f"doctor: slack channel failed: #front-desk ({outside}) exists, but the app is not a member"
        in warnings[0]
    )
    assert "Fix: type /invite @retention-bot in #front-desk" in warnings[0]
    assert any(" INFO " in line and "doctor: telegram token skipped" in line for line in lines), lines
    (summary,) = [line for line in lines if "`retention-bot doctor` shows every check" in line]
    assert " INFO " in summary and "1 failed" in summary
    assert shop.slack.state.ws.bot_token not in output and SECRET not in output
