"""SPEC §7: a request body over 256 KB, on any route of the one HTTP server, is refused with 413
before it is read whole, and nothing of it is processed; 200 KB still goes through to the checks.

Against the real `retention-bot run` (Slack in HTTP mode, Telegram in webhook mode) on loopback:
httpx for what ordinary senders do (a Content-Length, or a chunked body), a raw socket to see when
the answer comes (before the body has ended).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.sandbox.slack import SlackSandbox, Workspace
from bot.sandbox.slack.signing import signature
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from handlers.telegram.webhook import SECRET_HEADER
from tests.conftest import make_context
from tests.e2e.telegram_harness import customer_of, inbound_texts, new_chat
from tests.e2e.test_metrics import scrape, updates
from tests.e2e.test_telegram_webhook import typed
from tests.support.bot_process import BotProcess, free_port, running_bot, telegram_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")

SIGNING_SECRET = "body-limit-signing-secret"
WEBHOOK_SECRET = "body-limit-webhook-secret"
WEBHOOK_PATH = "/telegram/updates"
KB = 1024
OVER = 300 * KB
UNDER = 200 * KB


@dataclass
class World:
    bot: BotProcess
    telegram_server: SandboxServer
    slack: SlackSandbox
    boss: str
    channel: str
    database_url: str

    def url(self, path: str) -> str:
        return f"{self.bot.url}{path}"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> AsyncIterator[World]:
    directory = tmp_path_factory.mktemp("body-limit")
    database = directory / "retention.db"
    shutil.copyfile(sqlite_template, database)
    port = free_port()
    async with (
        SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram,
        SlackSandbox(Workspace(signing_secret=SIGNING_SECRET)) as slack,
    ):
        boss = slack.driver.add_user("boss", real_name="Bea Boss")
        channel = slack.driver.add_channel("retention-team", members=[boss])
        settings: Mapping[str, str] = {
            "DATABASE_URL": f"sqlite:///{database}",
            **telegram_settings(telegram),
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
            "TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SLACK_BOT_TOKEN": slack.state.ws.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_BASE_URL": slack.api_url,
            "SLACK_ADMIN_USER_IDS": boss,
        }
        async with running_bot(
            directory, settings, "--no-scheduler", parts=("telegram", "slack"), port=port
        ) as bot:
            slack.driver.connect_app(f"{bot.url}/slack/events")
            yield World(bot, telegram, slack, boss, channel, f"sqlite:///{database}")


def padded(payload: dict[str, Any], size: int) -> bytes:
    """`payload` as JSON of exactly `size` bytes (an extra field carries the padding)."""
    bare = len(json.dumps({**payload, "padding": ""}).encode())
    body = json.dumps({**payload, "padding": "x" * (size - bare)}).encode()
    assert len(body) == size
    return body


async def pieces(body: bytes, size: int = 16 * KB) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def post(url: str, body: bytes, headers: Mapping[str, str], *, chunked: bool) -> httpx.Response:
    """POST `body` with a Content-Length, or chunked (httpx sends an async iterable chunked)."""
    async with httpx.AsyncClient(timeout=10) as http:
        content: Any = pieces(body) if chunked else body
        response = await http.post(url, content=content, headers=headers)
    if chunked:
        assert response.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in response.request.headers
    return response


def slack_event(world: World, event_id: str, size: int) -> bytes:
    ws = world.slack.state.ws
    event = {"type": "message", "channel": world.channel, "user": world.boss, "text": "hi", "ts": "1.000001"}
    return padded(
        {
            "token": ws.verification_token,
            "team_id": ws.team_id,
            "api_app_id": ws.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
        },
        size,
    )


def signed(body: bytes, secret: str = SIGNING_SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(secret, timestamp, body.decode()),
    }


async def test_a_signed_slack_request_over_256_kb_gets_413_and_nothing_is_handled(world: World) -> None:
    before = await scrape(world.bot)
    events = world.url("/slack/events")
    for chunked in (False, True):
        body = slack_event(world, f"Ev-over-{chunked}", OVER)
        response = await post(events, body, signed(body), chunked=chunked)
        assert response.status_code == 413, response.text
        assert "limit is 256 KB" in response.text
    command = await world.slack.driver.send_slash_command(
        "/crm", "find " + "x" * OVER, user=world.boss, channel=world.channel
    )
    assert command.status == 413
    await asyncio.sleep(1.0)  # time for anything that would have been handled to show
    assert updates(await scrape(world.bot), "slack") == updates(before, "slack")
    assert world.slack.driver.ephemerals(user=world.boss) == []
    assert world.bot.output().count("refused a request body over 262144 bytes") == 3


async def test_a_slack_request_of_200_kb_still_reaches_the_signature_check_and_is_handled(
    world: World,
) -> None:
    events = world.url("/slack/events")
    before = await scrape(world.bot)
    for chunked in (False, True):
        body = slack_event(world, f"Ev-forged-{chunked}", UNDER)
        forged = await post(events, body, signed(body, secret="not-the-secret"), chunked=chunked)
        assert forged.status_code == 401
    assert updates(await scrape(world.bot), "slack") == updates(before, "slack")
    for chunked in (False, True):
        body = slack_event(world, f"Ev-under-{chunked}", UNDER)
        assert (await post(events, body, signed(body), chunked=chunked)).status_code == 200
    assert updates(await scrape(world.bot), "slack") == updates(before, "slack") + 2
    command = await world.slack.driver.send_slash_command(
        "/crm", "find " + "x" * UNDER, user=world.boss, channel=world.channel
    )
    assert command.status == 200
    answer = await world.slack.driver.next_ephemeral(world.boss, within=10.0)
    assert "xxxx" in json.dumps(answer)  # the search ran (and found nobody)


async def test_a_telegram_update_over_256_kb_gets_413_and_one_of_200_kb_is_handled(world: World) -> None:
    webhook = world.url(WEBHOOK_PATH)
    server = world.telegram_server
    ann = new_chat(server.sandbox)
    await ann.join()  # through the webhook: small updates go through as before
    answers = len(ann.messages())
    before = await scrape(world.bot)
    with_secret = {SECRET_HEADER: WEBHOOK_SECRET, "Content-Type": "application/json"}
    for n, chunked in enumerate((False, True)):
        update = typed(server, ann.id, f"/feedback Too big {n}", update_id=700_000 + n)
        response = await post(webhook, padded(update, OVER), with_secret, chunked=chunked)
        assert response.status_code == 413
    update = typed(server, ann.id, "/feedback Wrong secret", update_id=700_010)
    wrong = {SECRET_HEADER: "guess", "Content-Type": "application/json"}
    assert (await post(webhook, padded(update, UNDER), wrong, chunked=True)).status_code == 403
    await asyncio.sleep(1.0)
    assert updates(await scrape(world.bot), "telegram") == updates(before, "telegram")
    assert len(ann.messages()) == answers

    update = typed(server, ann.id, "/feedback Lovely cakes", update_id=700_020)
    assert (await post(webhook, padded(update, UNDER), with_secret, chunked=True)).status_code == 200
    assert (await ann.next(timeout=10)).text == "Thank you for your kind words — they made our day!"
    ctx = make_context(world.database_url, ManualClock(datetime.now(UTC)))
    try:
        texts = inbound_texts(ctx, customer_of(ctx, ann).id)
    finally:
        ctx.close()
    assert "Lovely cakes" in texts and not any("Too big" in t or "Wrong secret" in t for t in texts)


async def test_every_other_route_refuses_a_large_body_too_and_the_server_carries_on(world: World) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        for path in ("/metrics", "/healthz"):
            response = await http.request("GET", world.url(path), content=b"x" * OVER)
            assert response.status_code == 413, path
        assert (await http.request("GET", world.url("/healthz"), content=b"x" * UNDER)).status_code == 200
    nowhere = await post(world.url("/nowhere"), b"x" * OVER, {}, chunked=True)
    assert nowhere.status_code == 413  # refused before routing
    assert (await world.bot.health())["status"] == "ok"


async def _exchange(world: World, head: bytes, body: bytes = b"") -> tuple[bytes, float, bytes]:
    """Send `head` and `body` on a raw connection, leaving the body unfinished; the answer's first
    bytes, how long after the last byte sent they came, and what followed until the server closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", world.bot.port)
    try:
        writer.write(head + body)
        await writer.drain()
        sent = time.monotonic()
        first = await asyncio.wait_for(reader.read(200), 5)
        answered = time.monotonic() - sent
        rest = await asyncio.wait_for(reader.read(), 10)  # b"" once the server closed
        return first, answered, rest
    finally:
        writer.close()


async def test_the_413_comes_before_the_body_is_read_whole(world: World) -> None:
    # A declared 10 GB: answered at once, without the body.
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n"
    first, answered, _ = await _exchange(world, head)
    assert first.startswith(b"HTTP/1.1 413 ") and answered < 1.0
    # Expect: 100-continue gets the refusal instead of the go-ahead.
    head = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 307200\r\nExpect: 100-continue\r\n\r\n"
    first, answered, _ = await _exchange(world, head)
    assert first.startswith(b"HTTP/1.1 413 ") and answered < 1.0
    # A chunked body that has just passed 256 KB and has not ended: refused there and then, and
    # the connection is closed (the rest is not waited for beyond the short linger).
    chunk = b"x" * (257 * KB)
    head = f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    first, answered, rest = await _exchange(world, head, f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    assert first.startswith(b"HTTP/1.1 413 ") and answered < 1.0
    assert b"connection: close" in (first + rest).lower()
