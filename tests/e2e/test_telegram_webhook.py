"""Webhook mode on the shared HTTP server: Telegram's POSTs carry the secret, anything else gets 403,
and an update Telegram delivers twice is handled once."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx

from bot.app import Runtime
from bot.clock import ManualClock
from bot.sandbox.telegram import SandboxServer
from bot.sandbox.telegram.entities import find_entities
from bot.sandbox.telegram.objects import message_json
from handlers.telegram.component import TelegramComponent
from handlers.telegram.webhook import SECRET_HEADER
from tests.e2e.telegram_harness import (  # noqa: F401
    FAST,
    bot_context,
    customer_of,
    fixture_tg_server,
    inbound_texts,
    new_chat,
)

SECRET = "s3cret-Token_1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def typed(server: SandboxServer, chat_id: int, text: str, update_id: int) -> dict[str, Any]:
    """The update Telegram would POST for a message the user typed (not queued in the sandbox)."""
    state = server.sandbox.state
    with state.lock:
        sent = state.add_message(
            state.chats[chat_id], from_bot=False, text=text, entities=find_entities(text)
        )
        return {"update_id": update_id, "message": message_json(state, sent)}


async def test_webhook_mode_serves_telegram_with_the_secret_and_refuses_everyone_else(
    tg_server: SandboxServer, database_url: str, clock: ManualClock
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    ctx = bot_context(
        database_url,
        clock,
        tg_server,
        telegram_webhook_url=url,
        telegram_webhook_secret=SECRET,
        http_port=port,
    )
    stop, ready = asyncio.Event(), asyncio.Event()
    serving = asyncio.create_task(Runtime(ctx, [TelegramComponent(ctx, FAST)], {}).run(stop, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        webhook = tg_server.sandbox.webhook()
        assert webhook is not None and (webhook.url, webhook.secret_token) == (url, SECRET)
        ann = new_chat(tg_server.sandbox)
        await ann.join()  # delivered by the sandbox's webhook pump, with the secret
        update = typed(tg_server, ann.id, "/feedback Lovely cakes", update_id=900_001)
        async with httpx.AsyncClient(timeout=5) as http:
            assert (await http.post(url, json=update, headers={SECRET_HEADER: "wrong"})).status_code == 403
            assert (await http.post(url, json=update)).status_code == 403
            assert (await http.post(url, content=b"{", headers={SECRET_HEADER: SECRET})).status_code == 400
            for _ in range(2):  # Telegram retries a delivery it thinks failed
                assert (await http.post(url, json=update, headers={SECRET_HEADER: SECRET})).status_code == 200
        assert (await ann.next()).text == "Thank you for your kind words — they made our day!"
        assert ((await ann.say("/help")).text or "").startswith("Here's what I can do:")
        assert inbound_texts(ctx, customer_of(ctx, ann).id).count("Lovely cakes") == 1
    finally:
        stop.set()
        await serving
        ctx.close()
