"""/language (buttons in each language's own script), /stop and /subscribe."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.i18n import translator
from bot.services.chat_preferences import set_language, set_promotions
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import TelegramDeps, notify, query_message
from handlers.telegram.keyboards import LANGUAGE_PATTERN, language_keyboard
from handlers.telegram.menu import set_chat_menu
from handlers.telegram.render import fmt


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx

    async def language(update: Update, context: ChatContext) -> None:
        if await deps.customer_id(update, context) is None:
            return
        await deps.reply(update, context, fmt(deps.t(context), "language.prompt"), language_keyboard())

    async def chosen(update: Update, context: ChatContext) -> None:
        query, message = query_message(update)
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        wanted = context.matches[0].group(1) if context.matches else deps.default_language
        language_now = await deps.call(set_language, ctx.clock, customer_id=customer_id, language=wanted)
        await notify(query)
        t = translator(language_now)
        done = fmt(t, "language.done")
        if message is not None:
            await deps.outbox.edit(message.chat_id, message.message_id, done, customer_id=customer_id)
            await set_chat_menu(deps, message.chat_id, t)
        else:
            await deps.reply(update, context, done)

    async def stop(update: Update, context: ChatContext) -> None:
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        await deps.call(set_promotions, ctx.clock, customer_id=customer_id, allowed=False)
        await deps.reply(update, context, fmt(deps.t(context), "stop.done"))

    async def subscribe(update: Update, context: ChatContext) -> None:
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        await deps.call(set_promotions, ctx.clock, customer_id=customer_id, allowed=True)
        await deps.reply(update, context, fmt(deps.t(context), "subscribe.done", business=deps.business))

    deps.add_command(application, "language", language, "help.command.language")
    deps.add_command(application, "stop", stop, "help.command.stop")
    deps.add_command(application, "subscribe", subscribe, "help.command.subscribe")
    application.add_handler(CallbackQueryHandler(chosen, pattern=LANGUAGE_PATTERN))
