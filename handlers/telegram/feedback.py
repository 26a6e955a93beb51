"""/feedback TEXT and free text: a survey answer while one waits, otherwise feedback (a complaint
opens a ticket and the customer gets its number); anything that is not text gets a polite hint."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import MessageEntityType
from telegram.ext import MessageHandler, filters

from bot.i18n import Translator
from bot.services.chat_text import handle_text
from bot.services.errors import InvalidInput
from bot.services.tickets import FeedbackOutcome, receive_feedback
from handlers.telegram import faq
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import NEW_MESSAGES, TelegramDeps
from handlers.telegram.render import Html, clean_input, fmt
from handlers.telegram.surveys import answer_reply


def feedback_reply(t: Translator, outcome: FeedbackOutcome) -> Html:
    if outcome.ticket is not None and outcome.ticket_opened:
        return fmt(t, "feedback.ticket_opened", ticket=outcome.ticket.id)
    if outcome.ticket is not None:
        return fmt(t, "feedback.added_to_ticket", ticket=outcome.ticket.id)
    return fmt(t, "feedback.received")


def text_after_command(message: Message) -> str:
    """What follows `/feedback` (newlines kept, unlike context.args)."""
    text = message.text or ""
    command = next(
        (e for e in message.entities if e.type == MessageEntityType.BOT_COMMAND and e.offset == 0), None
    )
    return text[command.length :] if command else text


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx

    async def feedback(update: Update, context: ChatContext) -> None:
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        assert update.message is not None and context.session is not None
        t = deps.t(context)
        text = clean_input(text_after_command(update.message))
        if not text:
            await deps.reply(update, context, fmt(t, "feedback.empty"))
            return
        outcome = await deps.call(
            receive_feedback,
            ctx.clock,
            customer_id=customer_id,
            text=text,
            source_event_id=context.session.source_event_id,
        )
        await deps.reply(update, context, feedback_reply(t, outcome))

    async def free_text(update: Update, context: ChatContext) -> None:
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        assert update.message is not None and context.session is not None
        t = deps.t(context)
        text = clean_input(update.message.text or "")
        # --- Answers the shop wrote (FAQ): one call; it answers and stops here, or changes nothing.
        if text and await faq.answer_if_known(deps, update, context, customer_id, text):
            return
        # --- end FAQ
        try:
            outcome = await deps.call(
                handle_text,
                ctx.clock,
                ctx.rules,
                customer_id=customer_id,
                text=text,
                source_event_id=context.session.source_event_id,
            )
        except InvalidInput:  # nothing left once control characters are removed
            await deps.reply(update, context, fmt(t, "feedback.empty"))
            return
        if isinstance(outcome, FeedbackOutcome):
            await deps.reply(update, context, feedback_reply(t, outcome))
        else:
            await answer_reply(deps, update, context, outcome)

    async def not_text(update: Update, context: ChatContext) -> None:
        await deps.reply(update, context, fmt(deps.t(context), "error.unsupported_message"))

    deps.add_command(application, "feedback", feedback, "help.command.feedback")
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & NEW_MESSAGES, free_text))
    application.add_handler(
        MessageHandler(~filters.TEXT & ~filters.CONTACT & ~filters.StatusUpdate.ALL & NEW_MESSAGES, not_text)
    )
