"""/mydata (the customer's own data as a JSON file, without the staff's internal material) and /deleteme
(erase, after a confirmation tap)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.services.privacy import customer_view_json, forget_customer
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import TelegramDeps, notify, query_message
from handlers.telegram.keyboards import DELETE_PATTERN, delete_keyboard
from handlers.telegram.render import fmt

ACTOR = "customer:telegram"


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx

    async def mydata(update: Update, context: ChatContext) -> None:
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        data = await deps.call(customer_view_json, ctx.clock, customer_id, actor=ACTOR)
        caption = fmt(deps.t(context), "mydata.caption", business=deps.business)
        assert update.effective_chat is not None
        await deps.outbox.send_document(
            update.effective_chat.id, data.encode("utf-8"), "my-data.json", caption, customer_id=customer_id
        )

    async def deleteme(update: Update, context: ChatContext) -> None:
        if await deps.customer_id(update, context) is None:
            return
        t = deps.t(context)
        await deps.reply(
            update, context, fmt(t, "deleteme.confirm", business=deps.business), delete_keyboard(t)
        )

    async def decided(update: Update, context: ChatContext) -> None:
        query, message = query_message(update)
        session = context.session
        t = deps.t(context)
        if session is None or session.customer_id is None:  # erased already: an old button
            await notify(query, t.gettext("error.stale_button"))
            return
        await notify(query)
        erase = context.matches[0].group(1) == "yes" if context.matches else False
        if erase:
            await deps.call(forget_customer, ctx.clock, customer_id=session.customer_id, actor=ACTOR)
        body = fmt(t, "deleteme.done" if erase else "deleteme.cancelled")
        customer_id = None if erase else session.customer_id  # nothing is logged about an erased customer
        if message is not None:
            await deps.outbox.edit(message.chat_id, message.message_id, body, customer_id=customer_id)
        else:
            await deps.reply(update, context, body)

    deps.add_command(application, "mydata", mydata, "help.command.mydata")
    deps.add_command(application, "deleteme", deleteme, "help.command.deleteme")
    application.add_handler(CallbackQueryHandler(decided, pattern=DELETE_PATTERN))
