"""Socket Mode: with SLACK_APP_TOKEN the component serves no HTTP route and takes requests over a
WebSocket instead. A minimal local stand-in for Slack's side (apps.connections.open, the socket,
a response_url) checks the envelope is acked over the socket and the reply arrives after it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import WSMsgType, web

from bot.clock import ManualClock
from handlers.slack import SlackComponent
from tests.conftest import make_context


@dataclass
class FakeSlackSockets:
    """apps.connections.open hands out a local socket; the test pushes envelopes through it."""

    url: str = ""
    sockets: asyncio.Queue[web.WebSocketResponse] = field(default_factory=asyncio.Queue)
    acks: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    hooks: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/apps.connections.open", self.connections_open)
        app.router.add_route("*", "/api/{method}", self.other_method)
        app.router.add_get("/link", self.link)
        app.router.add_post("/hook", self.hook)
        return app

    async def connections_open(self, request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer xapp-1-test"
        return web.json_response({"ok": True, "url": f"ws{self.url.removeprefix('http')}/link"})

    async def other_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response({"ok": True, "team_id": "T1", "user_id": "UBOT", "bot_id": "BBOT"})
        if method == "users.info":  # the gate asks who is acting: a full member, or a guest (UGUEST)
            user = (await request.post()).get("user") or request.query.get("user")
            guest = user == "UGUEST"
            person = {"id": user, "team_id": "T1", "name": "ann", "is_restricted": guest, "deleted": False}
            return web.json_response({"ok": True, "user": person})
        return web.json_response({"ok": False, "error": "unknown_method"})

    async def link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1})
        await self.sockets.put(socket)
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await self.acks.put(json.loads(message.data))
        return socket

    async def hook(self, request: web.Request) -> web.Response:
        await self.hooks.put(await request.json())
        return web.json_response({"ok": True})


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlackSockets]:
    sockets = FakeSlackSockets()
    runner = web.AppRunner(sockets.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    sockets.url = f"http://127.0.0.1:{port}"
    yield sockets
    await runner.cleanup()


async def test_socket_mode_acks_a_slash_command_over_the_socket_and_replies_after(
    fake: FakeSlackSockets, sqlite_url: str, clock: ManualClock
) -> None:
    ctx = make_context(
        sqlite_url,
        clock,
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-1-test",
        slack_api_base_url=f"{fake.url}/api/",
    )
    component = SlackComponent(ctx)
    assert component.routes == []
    await component.start()
    try:
        socket = await asyncio.wait_for(fake.sockets.get(), 5)
        command = {
            "command": "/crm", "text": "help", "user_id": "U1", "user_name": "ann", "channel_id": "C1",
            "team_id": "T1", "trigger_id": "1.2.3", "response_url": f"{fake.url}/hook", "api_app_id": "A1",
        }  # fmt: skip
        envelope = {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "payload": command,
            "accepts_response_payload": True,
        }
        await socket.send_json(envelope)

        ack = await asyncio.wait_for(fake.acks.get(), 5)
        reply = await asyncio.wait_for(fake.hooks.get(), 5)
        assert ack == {"envelope_id": "env-1"}
        assert reply["response_type"] == "ephemeral" and "`/crm find QUERY`" in reply["text"]
    finally:
        await component.stop()
        ctx.close()


async def test_socket_mode_refuses_a_guest_in_the_ack_itself_and_runs_nothing(
    fake: FakeSlackSockets, sqlite_url: str, clock: ManualClock
) -> None:
    ctx = make_context(
        sqlite_url,
        clock,
        slack_bot_token="xoxb-test",
        slack_app_token="xapp-1-test",
        slack_api_base_url=f"{fake.url}/api/",
    )
    component = SlackComponent(ctx)
    await component.start()
    try:
        socket = await asyncio.wait_for(fake.sockets.get(), 5)
        command = {
            "command": "/crm", "text": "find Ann", "user_id": "UGUEST", "user_name": "gus",
            "channel_id": "C1", "team_id": "T1", "trigger_id": "1.2.4", "response_url": f"{fake.url}/hook",
            "api_app_id": "A1",
        }  # fmt: skip
        envelope = {"envelope_id": "env-2", "type": "slash_commands", "payload": command}
        await socket.send_json({**envelope, "accepts_response_payload": True})

        ack = await asyncio.wait_for(fake.acks.get(), 5)
        await component.deps.background.drain(5)
        assert ack["envelope_id"] == "env-2"
        assert ack["payload"]["text"].startswith("`/crm find` needs the staff role. Guests of this workspace")
        assert fake.hooks.empty()
    finally:
        await component.stop()
        ctx.close()
