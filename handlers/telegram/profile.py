"""The bot's description (shown in an empty chat, before Start) and short description (its profile
and link previews), set per language at start (SPEC §9).

Telegram keys them by a two-letter language_code, so Simplified and Traditional Chinese cannot
both have one: "" (every language without its own) gets English, "zh" gets DEFAULT_LANGUAGE when
that is a Chinese one, else Simplified — the same split as the command menu.
"""

from __future__ import annotations

import logging
from typing import Final

from telegram import Bot

from bot.i18n import translator

log = logging.getLogger(__name__)

DESCRIPTION_MAX: Final = 512
SHORT_DESCRIPTION_MAX: Final = 120


def profile_languages(default_language: str) -> dict[str, str]:
    """language_code → catalogue."""
    chinese = default_language if default_language in ("zh-Hans", "zh-Hant") else "zh-Hans"
    return {"": "en", "zh": chinese}


def clip(text: str, limit: int) -> str:
    """At most `limit` characters (a long BUSINESS_NAME must not make Telegram refuse the text)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


async def set_descriptions(bot: Bot, business: str, default_language: str) -> None:
    for language_code, language in profile_languages(default_language).items():
        t = translator(language)
        code = language_code or None
        await bot.set_my_description(
            clip(t.format("telegram.description", business=business), DESCRIPTION_MAX), language_code=code
        )
        await bot.set_my_short_description(
            clip(t.format("telegram.short_description", business=business), SHORT_DESCRIPTION_MAX),
            language_code=code,
        )
