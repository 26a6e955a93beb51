"""Telegram and Slack through real proxies on loopback (tests/support/proxies.py): an HTTP proxy
(CONNECT) and a SOCKS5 proxy, each with a password, named only in the `.env` of the directory the
real `retention-bot` runs in.

The sandboxes sit behind HTTPS (a test certificate, trusted through SSL_CERT_FILE) under names that
resolve nowhere (`api.telegram.test`, `slack.test`) or addresses that lead nowhere (192.0.2.x), so a
check that passes went through the proxy, and the proxy's record says what it was asked for. The
Slack app itself (Bolt's per-request client, `respond()`, Socket Mode) is driven in-process against
a local stand-in for Slack's side. Whatever happens, the proxy's password is never printed or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.clock import ManualClock
from bot.demo.runner import free_port
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.telegram import SandboxServer, TelegramSandbox
from handlers.slack import SlackComponent
from tests.conftest import make_context
from tests.e2e.test_doctor import BINARY, SECRET, by_name, environment, row
from tests.e2e.test_slack_socket_mode import FakeSlackSockets
from tests.support.proxies import HttpProxy, Socks5Proxy, TlsFront, certificate

PASSWORD = "pr0xy-Pa55word"
USER = "shop"
TELEGRAM_HOST, SLACK_HOST = "api.telegram.test", "slack.test"
TELEGRAM_IP, SLACK_IP = "192.0.2.10", "192.0.2.20"
"""TEST-NET-1 addresses: with socks5:// (names resolved here) the proxy is sent addresses."""
PROXY_SETTINGS = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@dataclass
class World:
    """The sandboxes behind HTTPS, and a directory to run `retention-bot` in."""

    telegram: SandboxServer
    slack: SlackSandbox
    telegram_tls: TlsFront
    slack_tls: TlsFront
    cert: Path
    directory: Path
    channel: str
    database_url: str

    def env_file(self, telegram_host: str, slack_host: str, **extra: str) -> None:
        values = {
            "DATABASE_URL": self.database_url,
            "TELEGRAM_BOT_TOKEN": self.telegram.sandbox.token,
            "TELEGRAM_API_BASE_URL": f"https://{telegram_host}:{self.telegram_tls.port}/bot",
            "SLACK_BOT_TOKEN": self.slack.state.ws.bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_BASE_URL": f"https://{slack_host}:{self.slack_tls.port}/api/",
            "SLACK_TEAM_CHANNEL": self.channel,
            "TIMEZONE": "Asia/Taipei",
            **extra,
        }
        text = "".join(f"{key}={value}\n" for key, value in values.items())
        (self.directory / ".env").write_text(text, encoding="utf-8")

    async def run(self, *args: str, **env: str) -> tuple[int, str]:
        """`retention-bot ARGS` in the directory: its exit code and everything it printed."""
        process = await asyncio.create_subprocess_exec(
            str(BINARY), *args, cwd=self.directory,
            env={**environment(), "SSL_CERT_FILE": str(self.cert), "COLUMNS": "250", **env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode is not None
        return process.returncode, out.decode()

    async def run_until(self, marker: str, *args: str, **env: str) -> tuple[int | None, str]:
        """`retention-bot ARGS` until it exits (its exit code) or prints `marker`: then what it prints
        in the next second, and it is killed (None)."""
        process = await asyncio.create_subprocess_exec(
            str(BINARY), *args, cwd=self.directory,
            env={**environment(), "SSL_CERT_FILE": str(self.cert), "COLUMNS": "250", **env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        assert process.stdout is not None
        seen, code = b"", None
        try:
            async with asyncio.timeout(60):
                while line := await process.stdout.readline():
                    seen += line
                    if marker.encode() in line:
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(1):
                                while more := await process.stdout.readline():
                                    seen += more
                        break
                else:
                    code = await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        return code, seen.decode()

    async def doctor(self, **env: str) -> tuple[int, dict[str, Any], str]:
        code, out = await self.run("doctor", "--json", **env)
        return code, json.loads(out.splitlines()[-1]), out


@pytest.fixture
async def world(tmp_path: Path, sqlite_url: str) -> AsyncIterator[World]:
    cert, context = certificate(tmp_path, [TELEGRAM_HOST, SLACK_HOST], [TELEGRAM_IP, SLACK_IP])
    async with (
        SandboxServer(TelegramSandbox()) as telegram,
        SlackSandbox(Workspace(signing_secret=SECRET)) as slack,
    ):
        staff = slack.driver.add_user("alice")
        channel = slack.driver.add_channel("retention-team", members=[staff])
        async with (
            TlsFront(telegram.port, context) as telegram_tls,
            TlsFront(slack.port, context) as slack_tls,
        ):
            directory = tmp_path / "shop"
            directory.mkdir()
            yield World(telegram, slack, telegram_tls, slack_tls, cert, directory, channel, sqlite_url)


def credentials(proxy: HttpProxy | Socks5Proxy) -> set[str | None]:
    return {asked.credentials for asked in proxy.asked}


@pytest.mark.parametrize(
    ("scheme", "setting", "telegram_host", "slack_host"),
    [
        ("http", "HTTPS_PROXY", TELEGRAM_HOST, SLACK_HOST),
        ("socks5h", "ALL_PROXY", TELEGRAM_HOST, SLACK_HOST),  # the proxy resolves the names
        ("socks5", "HTTPS_PROXY", TELEGRAM_IP, SLACK_IP),  # names resolved here: addresses sent
    ],
)
async def test_the_doctor_reaches_telegram_and_slack_through_a_proxy_named_only_in_dot_env(
    world: World, scheme: str, setting: str, telegram_host: str, slack_host: str
) -> None:
    async with HttpProxy(USER, PASSWORD) if scheme == "http" else Socks5Proxy(USER, PASSWORD) as proxy:
        world.env_file(
            telegram_host, slack_host, **{setting: f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{proxy.port}"}
        )
        code, report, out = await world.doctor()

    checks = by_name(report)
    assert code == 0, out
    through = f"through the proxy {scheme}://127.0.0.1:{proxy.port}"
    assert checks["telegram token"]["status"] == "ok" and through in checks["telegram token"]["detail"]
    assert checks["telegram webhook"]["status"] == "ok"
    assert checks["slack token"]["status"] == "ok" and through in checks["slack token"]["detail"]
    assert checks["slack channel"]["status"] == "ok" and checks["slack scopes"]["status"] == "ok"
    assert proxy.hosts() == {telegram_host, slack_host}
    assert {(a.host, a.port) for a in proxy.asked} == {
        (telegram_host, world.telegram_tls.port),
        (slack_host, world.slack_tls.port),
    }
    assert {a.how for a in proxy.asked} == {"CONNECT" if scheme == "http" else "SOCKS5"}
    assert credentials(proxy) == {f"{USER}:{PASSWORD}"}
    assert PASSWORD not in out


async def test_no_proxy_hosts_are_reached_directly_and_the_others_through_the_proxy(world: World) -> None:
    async with HttpProxy(USER, PASSWORD) as proxy:
        world.env_file(
            TELEGRAM_HOST,
            SLACK_HOST,
            HTTPS_PROXY=f"http://{USER}:{PASSWORD}@127.0.0.1:{proxy.port}",
            NO_PROXY=f"localhost, .telegram.test:{world.telegram_tls.port}",
        )
        code, report, out = await world.doctor()

    checks = by_name(report)
    assert code == 1, out
    telegram = checks["telegram token"]
    # Directly: the made-up name resolves nowhere, and nothing says "through the proxy".
    assert telegram["status"] == "failed" and "Cannot connect to host api.telegram.test" in telegram["detail"]
    assert "through the proxy" not in telegram["detail"]
    assert checks["slack token"]["status"] == "ok"
    assert proxy.hosts() == {SLACK_HOST}


async def test_this_machine_is_reached_directly_whatever_proxy_the_environment_names(world: World) -> None:
    """`make demo` and the sandboxes on a machine whose environment names a company proxy."""
    async with HttpProxy() as http, Socks5Proxy() as socks:
        world.env_file(
            "127.0.0.1",
            "localhost",
            TELEGRAM_API_BASE_URL=world.telegram.bot_api_base_url,
            SLACK_API_BASE_URL=world.slack.api_url,
        )
        company = {
            "HTTPS_PROXY": f"http://127.0.0.1:{http.port}",
            "http_proxy": f"http://127.0.0.1:{http.port}",
            "ALL_PROXY": f"socks5://127.0.0.1:{socks.port}",
        }
        code, report, out = await world.doctor(**company)

    assert code == 0, out
    assert {check["name"]: check["status"] for check in report["checks"]}["telegram token"] == "ok"
    assert by_name(report)["slack channel"]["status"] == "ok"
    assert "through the proxy" not in out
    assert http.asked == [] and socks.asked == []


@pytest.mark.parametrize("scheme", ["http", "socks5h"])
async def test_a_refused_proxy_password_is_never_printed_by_the_doctor(world: World, scheme: str) -> None:
    async with (
        HttpProxy(USER, "the-right-one") if scheme == "http" else Socks5Proxy(USER, "the-right-one") as proxy
    ):
        world.env_file(
            TELEGRAM_HOST, SLACK_HOST, HTTPS_PROXY=f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{proxy.port}"
        )
        code, out = await world.run("doctor")

    lines = out.splitlines()
    assert code == 1, out
    status, line = row(lines, "telegram token")
    assert status == "failed" and f"through the proxy {scheme}://127.0.0.1:{proxy.port}" in line
    assert row(lines, "slack token")[0] == "failed"
    if scheme == "http":
        assert "407" in out  # Proxy Authentication Required, word for word
    assert credentials(proxy) == {f"{USER}:{PASSWORD}"}  # it was sent, to the proxy only
    assert PASSWORD not in out


@pytest.mark.parametrize("part", ["telegram", "slack"])
async def test_a_refused_proxy_password_is_never_logged_by_run(world: World, part: str) -> None:
    """`run` at DEBUG with the proxy in the environment (slack-sdk logs the URL it finds there):
    the start fails on the proxy's 407 with a traceback (Telegram: `run` exits 1; Socket Mode:
    slack-sdk logs it and tries again), and the password is nowhere in what it printed."""
    async with HttpProxy(USER, "the-right-one") as proxy:
        extra = {"SLACK_APP_TOKEN": "xapp-1-socket-mode"} if part == "slack" else {}
        world.env_file(TELEGRAM_HOST, SLACK_HOST, LOG_LEVEL="DEBUG", HTTP_PORT=str(free_port()), **extra)
        url = f"http://{USER}:{PASSWORD}@127.0.0.1:{proxy.port}"
        other = "--no-slack" if part == "telegram" else "--no-telegram"
        marker = "Failed to connect" if part == "slack" else "never printed"
        code, out = await world.run_until(marker, "run", "--no-scheduler", other, HTTPS_PROXY=url)

    assert code == (None if part == "slack" else 1), out
    assert "Traceback" in out and "407" in out
    if part == "slack":
        assert "HTTP proxy URL has been loaded from an env variable: ***" in out  # slack-sdk's own line
    assert proxy.asked and credentials(proxy) == {f"{USER}:{PASSWORD}"}
    assert PASSWORD not in out


# --- The Slack app in-process: Socket Mode, Bolt's per-request client and respond() ----------------


@pytest.fixture
async def slack_side() -> AsyncIterator[tuple[FakeSlackSockets, int]]:
    """Slack's side (apps.connections.open, the socket, auth.test, a response_url) on loopback."""
    sockets = FakeSlackSockets()
    runner = web.AppRunner(sockets.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield sockets, port
    await runner.cleanup()


async def crm_help_over_the_socket(
    sockets: FakeSlackSockets, ctx_settings: dict[str, str], database_url: str
) -> None:
    """Socket Mode connects, `/crm help` arrives over the socket, is acked there, and the answer
    goes to the response_url (Bolt's auth.test on the per-request client comes first)."""
    clock = ManualClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    ctx = make_context(
        database_url, clock, slack_bot_token="xoxb-test", slack_app_token="xapp-1-test", **ctx_settings
    )
    component = SlackComponent(ctx)
    await component.start()
    try:
        socket = await asyncio.wait_for(sockets.sockets.get(), 5)
        command = {
            "command": "/crm", "text": "help", "user_id": "U1", "user_name": "ann", "channel_id": "C1",
            "team_id": "T1", "trigger_id": "1.2.3", "response_url": f"{sockets.url}/hook", "api_app_id": "A1",
        }  # fmt: skip
        envelope = {"envelope_id": "env-1", "type": "slash_commands", "payload": command}
        await socket.send_json({**envelope, "accepts_response_payload": True})
        assert await asyncio.wait_for(sockets.acks.get(), 5) == {"envelope_id": "env-1"}
        reply = await asyncio.wait_for(sockets.hooks.get(), 5)
        assert reply["response_type"] == "ephemeral" and "`/crm find QUERY`" in reply["text"]
    finally:
        await component.stop()
        ctx.close()


@pytest.mark.parametrize("scheme", ["http", "socks5h"])
async def test_socket_mode_web_api_and_respond_go_through_the_proxy(
    slack_side: tuple[FakeSlackSockets, int], scheme: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sockets, port = slack_side
    sockets.url = f"http://{SLACK_HOST}:{port}"  # resolves nowhere: only the proxy gets there
    for name in PROXY_SETTINGS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    async with HttpProxy(USER, PASSWORD) if scheme == "http" else Socks5Proxy(USER, PASSWORD) as proxy:
        settings = {
            "slack_api_base_url": f"{sockets.url}/api/",
            "all_proxy": f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{proxy.port}",
        }
        await crm_help_over_the_socket(sockets, settings, sqlite_url)

    assert proxy.hosts() == {SLACK_HOST}
    assert credentials(proxy) == {f"{USER}:{PASSWORD}"}
    if scheme == "http":  # plain http: the proxy sees each request's method and path
        assert {a.how for a in proxy.asked} >= {"POST", "GET"}  # Web API calls, the socket's upgrade


async def test_a_company_proxy_in_the_environment_leaves_a_local_slack_alone(
    slack_side: tuple[FakeSlackSockets, int], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """slack-sdk and Bolt look HTTPS_PROXY up themselves for every client they make (the per-request
    copy, respond()'s webhook client, Socket Mode) and ignore NO_PROXY: none of that may send a
    local Slack through the proxy."""
    sockets, port = slack_side
    sockets.url = f"http://127.0.0.1:{port}"
    async with HttpProxy() as proxy:
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
        await crm_help_over_the_socket(sockets, {"slack_api_base_url": f"{sockets.url}/api/"}, sqlite_url)
    assert proxy.asked == []
