"""`retention-bot run` as a shop runs it: a real process on the system clock, started from a clean
directory with only the settings given, talking to the in-repo sandboxes over HTTP on loopback.

What only a timer, a restart or a second process does is tested through this, never by calling
the job: the test waits for the real trigger.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bot.config import Settings
from bot.sandbox.slack import SlackSandbox
from bot.sandbox.telegram import SandboxServer

BINARY = Path(sys.executable).parent / "retention-bot"


T = TypeVar("T")


async def until(probe: Callable[[], T | None], within: float, what: str, bot: BotProcess) -> T:
    """Poll `probe` until it gives something truthy; after `within` s fail naming `what`, with the
    bot's log."""
    deadline = time.monotonic() + within
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s\n{bot.output()}")
        await asyncio.sleep(0.02)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def caught_up(self, within: float = 30) -> None:
        """Until the scheduler's start-up catch-up (it runs in the background) has finished."""
        deadline = time.monotonic() + within
        while "scheduler: caught up at start" not in self.output():
            if time.monotonic() > deadline or self.process.returncode is not None:
                raise AssertionError(f"no start-up catch-up within {within} s:\n{self.output()}")
            await asyncio.sleep(0.2)

    async def health(self) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=5.0) as http:
            response = await http.get(f"{self.url}/healthz")
        payload: dict[str, Any] = response.json()
        return payload


def telegram_settings(server: SandboxServer) -> dict[str, str]:
    """The settings that point a bot at the sandbox Telegram `server`."""
    return {"TELEGRAM_BOT_TOKEN": server.sandbox.token, "TELEGRAM_API_BASE_URL": server.bot_api_base_url}


def slack_settings(sandbox: SlackSandbox, channel: str, signing_secret: str) -> dict[str, str]:
    """The settings that point a bot at the sandbox Slack workspace, HTTP mode, `channel` the team's."""
    return {
        "SLACK_BOT_TOKEN": sandbox.state.ws.bot_token,
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_API_BASE_URL": sandbox.api_url,
        "SLACK_TEAM_CHANNEL": channel,
    }


def environment_without_settings() -> dict[str, str]:
    """This process's environment minus every variable Settings reads: only what a test gives (or a
    `.env` in the working directory) configures the bot."""
    return {key: value for key, value in os.environ.items() if key.lower() not in Settings.model_fields}


def clean_env(settings: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without any setting of its own, plus `settings`."""
    return {**environment_without_settings(), **settings}


async def _wait_until_running(bot: BotProcess, parts: tuple[str, ...], timeout: float) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bot.process.returncode is not None:
            raise AssertionError(f"retention-bot run exited with {bot.process.returncode}:\n{bot.output()}")
        try:
            health = await bot.health()
        except (httpx.HTTPError, ValueError):
            health = {}
        if health and all(health.get(part) == "running" for part in parts):
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"retention-bot run did not start {parts} within {timeout} s:\n{bot.output()}")


@asynccontextmanager
async def running_bot(
    directory: Path,
    settings: Mapping[str, str],
    *args: str,
    parts: tuple[str, ...] = ("scheduler",),
    start_timeout: float = 60,
    port: int | None = None,
) -> AsyncIterator[BotProcess]:
    """`retention-bot run ARGS` in `directory` until every one of `parts` runs; SIGTERM afterwards.

    `port`: the HTTP port, when a setting must name it before the start (a webhook URL)."""
    port = port or free_port()
    log = directory / f"bot-{port}.log"
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            str(BINARY),
            "run",
            *args,
            cwd=directory,
            env=clean_env({**settings, "HTTP_PORT": str(port)}),
            stdout=sink,
            stderr=asyncio.subprocess.STDOUT,
        )
    bot = BotProcess(process, port, log)
    try:
        await _wait_until_running(bot, parts, start_timeout)
        yield bot
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def run_cli(directory: Path, settings: Mapping[str, str], *args: str) -> str:
    """`retention-bot ARGS` in `directory` with only `settings`; its stdout (it must exit 0)."""
    process = await asyncio.create_subprocess_exec(
        str(BINARY),
        *args,
        cwd=directory,
        env=clean_env({**settings, "COLUMNS": "250"}),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode()
