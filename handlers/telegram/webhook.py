"""Webhook mode: Telegram POSTs each update to TELEGRAM_WEBHOOK_URL's path on the shared HTTP server.

Requests without the secret given to setWebhook (header X-Telegram-Bot-Api-Secret-Token) get 403;
the comparison takes constant time. A valid update is queued and answered 200 at once.
"""

from __future__ import annotations

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


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"


def webhook_route(url: str, secret: str, application: TelegramApp) -> Route:
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
        await application.update_queue.put(Update.de_json(data, application.bot))
        return Response()

    return Route(webhook_path(url), receive, methods=["POST"], name="telegram-webhook")
