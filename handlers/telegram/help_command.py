"""/help (one line per registered command), the hint for unknown commands, and the answer to a tap
on a button nothing handles any more."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import NEW_MESSAGES, TelegramDeps, notify, query_message
from handlers.telegram.render import fmt, lines, paragraphs


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    """Register /help; call `register_fallbacks` after every other module."""

    async def show_help(update: Update, context: ChatContext) -> None:
        t = deps.t(context)
        usage = [fmt(t, spec.help_msgid) for spec in deps.commands]
        footer = fmt(t, "help.footer" if deps.staff_alerted else "help.footer_unstaffed")
        body = paragraphs(lines(fmt(t, "help.header"), *usage), footer)
        await deps.reply(update, context, body)

    deps.add_command(application, "help", show_help, "help.command.help")


def register_fallbacks(application: TelegramApp, deps: TelegramDeps) -> None:
    """Unknown commands and unknown buttons: a polite hint, nothing changed."""

    async def unknown_command(update: Update, context: ChatContext) -> None:
        await deps.reply(update, context, fmt(deps.t(context), "error.unknown_command"))

    async def unknown_button(update: Update, context: ChatContext) -> None:
        query, _ = query_message(update)
        await notify(query, deps.t(context).gettext("error.stale_button"))

    application.add_handler(MessageHandler(filters.COMMAND & NEW_MESSAGES, unknown_command))
    application.add_handler(CallbackQueryHandler(unknown_button))
