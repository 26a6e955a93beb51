"""`retention-bot run` with a Slack token: the composition root adds the Slack part, which serves
/slack/events on the one HTTP server next to /healthz."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx

from bot.app import Parts, Runtime, build_components
from bot.clock import ManualClock
from bot.sandbox.slack import Signing, SlackSandbox, Workspace
from handlers.slack.blocks import shortcut as shortcut_blocks
from tests.conftest import make_context

SECRET = "runtime-signing-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_serves_slack_events_on_the_shared_server(sqlite_url: str, clock: ManualClock) -> None:
    async with SlackSandbox(Workspace(signing_secret=SECRET)) as sandbox:
        driver = sandbox.driver
        alice = driver.add_user("alice")
        channel = driver.add_channel("team", members=[alice])
        port = free_port()
        ctx = make_context(
            sqlite_url,
            clock,
            http_port=port,
            slack_bot_token=sandbox.state.ws.bot_token,
            slack_signing_secret=SECRET,
            slack_api_base_url=sandbox.api_url,
            slack_team_channel=channel,
        )
        components, status = build_components(ctx, Parts(telegram=False, scheduler=False))
        assert [c.name for c in components] == ["slack"]
        stop, ready = asyncio.Event(), asyncio.Event()
        serving = asyncio.create_task(Runtime(ctx, components, status).run(stop, ready))
        try:
            await asyncio.wait_for(ready.wait(), 10)
            driver.connect_app(f"http://127.0.0.1:{port}/slack/events")
            async with httpx.AsyncClient() as http:
                health = (await http.get(f"http://127.0.0.1:{port}/healthz")).json()
            assert health["slack"] == "running" and health["status"] == "ok"

            ok = await driver.send_slash_command("/crm", "help", user=alice, channel=channel)
            forged = await driver.send_slash_command(
                "/crm", "help", user=alice, channel=channel, signing=Signing(secret="forged")
            )
            reply = await driver.next_ephemeral(alice, within=5.0)

            assert (ok.status, forged.status) == (200, 401)
            assert reply["text"].startswith("*/crm* subcommands:")
        finally:
            stop.set()
            await serving
            ctx.close()


def test_without_a_slack_token_the_slack_part_is_off(sqlite_url: str, clock: ManualClock) -> None:
    ctx = make_context(sqlite_url, clock)
    components, status = build_components(ctx, Parts(telegram=False, scheduler=False))
    assert components == [] and status["slack"] == "off"
    ctx.close()


def test_the_manifest_declares_what_the_app_listens_to() -> None:
    manifest = (Path(__file__).resolve().parents[2] / "slack-manifest.yml").read_text(encoding="utf-8")
    for line in (
        "- command: /crm",
        f"callback_id: {shortcut_blocks.CALLBACK}",
        "- app_home_opened",
        "- message.channels",
        "socket_mode_enabled: true",
        "is_enabled: true",
        "- commands",
        "- chat:write",
        "- files:write",
        "- users:read",
    ):
        assert line in manifest, line
