"""The Telegram bot's username, for deep links (`t.me/<bot>?start=CODE`): asked once with getMe."""

from __future__ import annotations

import json
import logging

from telegram.error import TelegramError

from bot.config import Settings
from handlers.telegram.transport import AiohttpRequest, bot_api_proxy

log = logging.getLogger(__name__)


class TelegramBotName:
    """Remembers a successful getMe; None while Telegram is off or unreachable (asked again next time)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._username: str | None = None

    async def get(self) -> str | None:
        if self._username is not None:
            return self._username
        token = self._settings.telegram_bot_token
        if token is None:
            return None
        url = f"{self._settings.telegram_api_base_url}{token.get_secret_value()}/getMe"
        http = AiohttpRequest(1, proxy=bot_api_proxy(self._settings))  # the bot's transport and proxy
        await http.initialize()
        try:
            data = json.loads((await http.do_request(url, "POST"))[1])
        except (TelegramError, ValueError) as exc:
            log.warning("Telegram getMe failed: %s", type(exc).__name__)
            return None
        finally:
            await http.shutdown()
        username = (
            data.get("result", {}).get("username") if isinstance(data, dict) and data.get("ok") else None
        )
        self._username = str(username) if username else None
        return self._username


def deep_link(username: str, code: str) -> str:
    return f"https://t.me/{username}?start={code}"
