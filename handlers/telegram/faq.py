"""Answers the shop wrote: a question from the rules file's [[faq]] answered at once, with the
buttons **That helps** and **Talk to a person** (bot/services/faq.py decides; this only renders).

The free-text handler calls `answer_if_known` once, before anything else reads the message.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.services.errors import AlreadyDone, InvalidInput
from bot.services.faq import answer_from_faq, faq_helped, faq_wants_person
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import TelegramDeps, notify, query_message
from handlers.telegram.keyboards import FAQ_HELPED_PATTERN, FAQ_PERSON_PATTERN, faq_keyboard
from handlers.telegram.render import esc, fmt

STALE = (AlreadyDone, InvalidInput)


async def answer_if_known(
    deps: TelegramDeps, update: Update, context: ChatContext, customer_id: int, text: str
) -> bool:
    """Answer `text` from the FAQ if it is one of its questions; True when it was (nothing more to do)."""
    ctx = deps.ctx
    if not ctx.rules.faq or context.session is None:
        return False
    t = deps.t(context)
    answered = await deps.call(
        answer_from_faq,
        ctx.clock,
        ctx.rules,
        customer_id=customer_id,
        text=text,
        language=t.language,
        source_event_id=context.session.source_event_id,
    )
    if answered is None:
        return False
    # A replayed message gets the answer again (its first sending may not have happened); it counts once.
    await deps.reply(update, context, esc(answered.text), faq_keyboard(t, answered.reply_id), kind="faq")
    return True


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx

    def reply_id(context: ChatContext) -> int:
        return int(context.matches[0].group(1)) if context.matches else 0

    async def helped(update: Update, context: ChatContext) -> None:
        query, message = query_message(update)
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        t = deps.t(context)
        try:
            await deps.call(faq_helped, ctx.clock, customer_id=customer_id, reply_id=reply_id(context))
        except STALE:
            await notify(query, t.gettext("error.stale_button"))
            return
        await notify(query)
        if message is not None:
            await deps.outbox.drop_buttons(message.chat_id, message.message_id)
        await deps.reply(update, context, fmt(t, "faq.thanks"))

    async def person(update: Update, context: ChatContext) -> None:
        query, message = query_message(update)
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        t = deps.t(context)
        try:
            asked = await deps.call(
                faq_wants_person, ctx.clock, customer_id=customer_id, reply_id=reply_id(context)
            )
        except STALE:
            await notify(query, t.gettext("error.stale_button"))
            return
        await notify(query)
        if message is not None:
            await deps.outbox.drop_buttons(message.chat_id, message.message_id)
        msgid = "faq.person_opened" if asked.opened else "feedback.added_to_ticket"
        await deps.reply(update, context, fmt(t, msgid, ticket=asked.ticket_id))

    application.add_handler(CallbackQueryHandler(helped, pattern=FAQ_HELPED_PATTERN))
    application.add_handler(CallbackQueryHandler(person, pattern=FAQ_PERSON_PATTERN))
