"""The command menu (setMyCommands): English by default, Simplified Chinese for `zh` clients, and the
customer's own choice in their chat after /language (Telegram scopes menus by 2-letter language)."""

from __future__ import annotations

import logging
from typing import Final

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import Translator, translator
from handlers.telegram.deps import TelegramDeps

log = logging.getLogger(__name__)

MENU_LANGUAGES: Final = {"": "en", "zh": "zh-Hans"}
"""language_code → catalogue; "" is the default for every other language."""


def menu_commands(deps: TelegramDeps, t: Translator) -> list[BotCommand]:
    """The registered commands, each described by its /help line after the dash."""
    commands = []
    for spec in deps.commands:
        line = t.gettext(spec.help_msgid)
        description = line.split(" – ", 1)[1] if " – " in line else line
        commands.append(BotCommand(spec.name, description.strip()[:256] or spec.name))
    return commands


async def set_command_menus(deps: TelegramDeps) -> None:
    bot = deps.outbox.bot
    for language_code, language in MENU_LANGUAGES.items():
        await bot.set_my_commands(
            menu_commands(deps, translator(language)), language_code=language_code or None
        )


async def set_chat_menu(deps: TelegramDeps, chat_id: int, t: Translator) -> None:
    """The menu in the language the customer chose (best effort: the menu is a convenience)."""
    try:
        await deps.outbox.bot.set_my_commands(menu_commands(deps, t), scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.info("could not set the command menu of chat %s: %s", chat_id, exc)
