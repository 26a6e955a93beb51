"""What every Telegram handler module gets from `register(application, deps)`: the app context, the
outbox, and the command list that feeds /help and the command menu (one usage line per command)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import CommandHandler, filters

from bot.context import AppContext
from bot.events import TicketOpened
from bot.i18n import Translator, translator
from bot.services.customer_chat import ChatUser
from handlers.telegram.calls import ServiceCalls
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.outbox import Markup, Outbox
from handlers.telegram.render import Html, fmt

log = logging.getLogger(__name__)

Callback = Callable[[Update, ChatContext], Coroutine[Any, Any, None]]
NEW_MESSAGES = filters.UpdateType.MESSAGE
"""Handlers react to new messages only (an edited "/points" is not a second request)."""


@dataclass(frozen=True)
class CommandSpec:
    name: str
    help_msgid: str
    """The /help line; its part after " – " is the command menu's description."""


@dataclass
class TelegramDeps:
    ctx: AppContext
    outbox: Outbox
    commands: list[CommandSpec] = field(default_factory=list)

    @property
    def call(self) -> ServiceCalls:
        """Run a service: `await deps.call(points_summary, clock, ...)` (see calls.py)."""
        return self.outbox.call

    @property
    def default_language(self) -> str:
        return self.ctx.settings.default_language

    @property
    def business(self) -> str:
        return self.ctx.settings.business_name

    @property
    def staff_alerted(self) -> bool:
        """Whether staff see a new conversation: this process posts alerts to the team channel
        (Slack is configured with SLACK_TEAM_CHANNEL and running here). What the customer is told
        depends on it: "we'll answer you here" only when someone will."""
        return self.ctx.bus.has_subscribers(TicketOpened, "slack")

    def add_command(
        self, application: TelegramApp, name: str, callback: Callback, help_msgid: str | None
    ) -> None:
        """Handle /name; with a help line it is listed in /help and the command menu."""
        application.add_handler(CommandHandler(name, callback, filters=NEW_MESSAGES))
        if help_msgid is not None:
            self.commands.append(CommandSpec(name, help_msgid))

    def t(self, context: ChatContext) -> Translator:
        session = context.session
        return translator(session.language if session else self.default_language)

    async def reply(
        self,
        update: Update,
        context: ChatContext,
        body: Html,
        markup: Markup | None = None,
        *,
        kind: str = "reply",
    ) -> Message | None:
        chat = update.effective_chat
        assert chat is not None
        session = context.session
        customer_id = session.timeline_id if session else None
        return await self.outbox.send(chat.id, body, customer_id=customer_id, markup=markup, kind=kind)

    async def customer_id(self, update: Update, context: ChatContext) -> int | None:
        """The sender's customer; None after telling an unlinked sender to /start first."""
        session = context.session
        if session is not None and session.customer_id is not None:
            return session.customer_id
        notice = fmt(self.t(context), "error.not_registered")
        if update.callback_query is not None:
            await notify(update.callback_query, self.t(context).gettext("error.not_registered"))
        else:
            await self.reply(update, context, notice)
        return None


def chat_user(update: Update) -> ChatUser:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    return ChatUser(
        user_id=str(user.id),
        chat_id=str(chat.id),
        username=user.username,
        language_code=user.language_code,
        name=user.full_name,
    )


async def notify(query: CallbackQuery, notice: str | None = None) -> None:
    """Answer a button tap (a short notice, or just stop the spinner); a too-late answer is only logged."""
    try:
        await query.answer(notice[:200] if notice else None)
    except BadRequest as exc:
        log.info("could not answer callback query %s: %s", query.id, exc.message)


def query_message(update: Update) -> tuple[CallbackQuery, Message | None]:
    """The tapped query and the message its buttons are on (None if Telegram no longer has it)."""
    query = update.callback_query
    assert query is not None
    message = query.message
    return query, message if isinstance(message, Message) else None
