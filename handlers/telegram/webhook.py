"""Webhook mode: Telegram POSTs each update to TELEGRAM_WEBHOOK_URL's path on the shared HTTP server.

Requests without the secret given to setWebhook (header X-Telegram-Bot-Api-Secret-Token) get 403;
the comparison takes constant time. A valid update is answered 200 once it is handled (its claim
committed with its effect, storage/inbound_claim.py), or after `ANSWER_WITHIN` seconds for a slow
one: a process that dies before that leaves the request unanswered, and Telegram delivers the
update again.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Final
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update

from handlers.telegram.context import TelegramApp

log = logging.getLogger(__name__)

SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
ANSWER_WITHIN: Final = 20.0
"""Seconds a webhook request waits for its update to be handled (Telegram waits longer)."""


class Handled:
    """The webhook requests waiting for their update to be handled; the processor reports each."""

    def __init__(self) -> None:
        self._waiting: dict[int, asyncio.Future[None]] = {}

    def expect(self, update_id: int) -> asyncio.Future[None]:
        waiting = self._waiting.get(update_id)
        if waiting is None:  # a second delivery of an update in hand waits for the same end
            waiting = self._waiting[update_id] = asyncio.get_running_loop().create_future()
        return waiting

    def done(self, update: object) -> None:
        if isinstance(update, Update):
            waiting = self._waiting.pop(update.update_id, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(None)

    def forget(self, update_id: int) -> None:
        self._waiting.pop(update_id, None)


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


def webhook_route(url: str, secret: str, application: TelegramApp, handled: Handled | None = None) -> Route:
    expected = secret.encode()

    async def receive(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("webhook request without the right secret from %s", request.client)
            return Response(status_code=403)
        try:
            data = json.loads(await request.body())
        except ValueError:
            return Response(status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response(status_code=400)
        update = Update.de_json(data, application.bot)
        if handled is None:
            await application.update_queue.put(update)
            return Response()
        end = handled.expect(update.update_id)
        await application.update_queue.put(update)
        _, slow = await asyncio.wait({end}, timeout=ANSWER_WITHIN)
        if slow:
            handled.forget(update.update_id)
            log.info("update %s is still being handled; answering its webhook request", update.update_id)
        return Response()

    return Route(webhook_path(url), receive, methods=["POST"], name="telegram-webhook")
