"""The context type every handler receives: PTB's own, plus the chat session the gate resolved."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.services.customer_chat import ChatSession


class ChatContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Shared by all handler groups of one update, so the gate (group -1) can hand its session on."""

    session: ChatSession | None = None


TelegramApp = Application[ExtBot[Any], ChatContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any]
