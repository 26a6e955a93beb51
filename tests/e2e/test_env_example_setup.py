"""SPEC §11 day one: copy `.env.example` to `.env`, fill in only what you have, `migrate`, `run`.

The real `retention-bot` console script runs as a subprocess in a fresh directory whose `.env` is
the shipped example with only the sandboxes' tokens and URLs filled in; every other line (the
empty RETENTION_CONFIG=, SLACK_APP_TOKEN=, TELEGRAM_WEBHOOK_URL= …) stays as shipped. The
sandbox Telegram and Slack run in this test process on loopback.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx

from bot.demo.runner import free_port
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from tests.support.bot_process import BINARY, environment_without_settings, slack_settings, telegram_settings

REPO = Path(__file__).resolve().parents[2]
SECRET = "env-example-signing-secret"


def filled_in(example: str, values: dict[str, str]) -> str:
    """The example with `KEY=value` for the given keys only; comments and every other line as shipped."""
    lines, filled = [], set()
    for line in example.splitlines():
        key, sep, _ = line.partition("=")
        if sep and not line.startswith("#") and key in values:
            line = f"{key}={values[key]}"
            filled.add(key)
        lines.append(line)
    assert filled == set(values), f"not in .env.example: {set(values) - filled}"
    return "\n".join(lines) + "\n"


async def retention_bot(directory: Path, *args: str, timeout: float = 120) -> tuple[int, str]:  # noqa: ASYNC109
    process = await asyncio.create_subprocess_exec(
        str(BINARY),
        *args,
        cwd=directory,
        env=environment_without_settings(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode()


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


async def wait_until_running(
    process: asyncio.subprocess.Process, url: str, log: Path, within: float = 90
) -> dict[str, Any]:
    """Poll /healthz until Telegram and Slack are running; fail with the process's output otherwise."""
    deadline = asyncio.get_running_loop().time() + within
    health: dict[str, Any] = {}
    async with httpx.AsyncClient() as http:
        while asyncio.get_running_loop().time() < deadline:
            if process.returncode is not None:
                raise AssertionError(f"`run` exited with {process.returncode}:\n{_text(log)}")
            try:
                health = (await http.get(url, timeout=5)).json()
            except httpx.HTTPError:
                health = {}
            if health.get("telegram") == "running" and health.get("slack") == "running":
                return health
            await asyncio.sleep(0.2)
    raise AssertionError(f"not running within {within} s (last /healthz: {health}):\n{_text(log)}")


async def test_a_copied_env_example_with_only_the_sandbox_values_filled_in_migrates_runs_and_answers(
    tmp_path: Path,
) -> None:
    port = free_port()
    async with (
        SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram,
        SlackSandbox(Workspace(signing_secret=SECRET)) as slack,
    ):
        staff = slack.driver.add_user("alice")
        channel = slack.driver.add_channel("team", members=[staff])
        env_file = filled_in(
            (REPO / ".env.example").read_text(encoding="utf-8"),
            {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'shop.db'}",
                **telegram_settings(telegram),
                **slack_settings(slack, channel, SECRET),
                "HTTP_PORT": str(port),
            },
        )
        assert "\nRETENTION_CONFIG=\n" in env_file and "\nSLACK_APP_TOKEN=\n" in env_file
        (tmp_path / ".env").write_text(env_file, encoding="utf-8")

        code, output = await retention_bot(tmp_path, "migrate")
        assert code == 0, output
        assert "Traceback" not in output
        assert (tmp_path / "shop.db").exists()

        log = tmp_path / "run.log"
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                str(BINARY), "run", cwd=tmp_path, env=environment_without_settings(), stdout=sink, stderr=sink
            )
        try:
            health = await wait_until_running(process, f"http://127.0.0.1:{port}/healthz", log)
            assert health["status"] == "ok" and health["database"] == "ok"

            # HTTP mode, not Socket Mode: the app answers a signed slash command on /slack/events.
            slack.driver.connect_app(f"http://127.0.0.1:{port}/slack/events")
            response = await slack.driver.send_slash_command("/crm", "help", user=staff, channel=channel)
            assert response.status == 200, response
            help_text = await slack.driver.next_ephemeral(staff, within=10.0)
            assert help_text["text"].startswith("*/crm* subcommands:")

            customer = telegram.sandbox.create_user("Ann", language_code="en", phone_number="+14155550100")
            telegram.sandbox.push_text(customer.id, "/start")
            welcome = await telegram.sandbox.next_bot_message(customer.id, timeout=30)
            assert "Welcome to our shop" in (welcome.text or ""), welcome.text  # BUSINESS_NAME as shipped
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
                raise
        output = _text(log)
        assert code == 0, output
        assert "Traceback" not in output, output
