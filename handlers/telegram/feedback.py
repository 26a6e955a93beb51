"""/feedback TEXT and free text: one service call decides (bot/services/chat_text.py: a survey answer,
else a conversation or the timeline); this module words the truthful answer. A chat not linked
yet is heard too, and offered the share-my-phone button again. Anything that is not text gets a
polite hint."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import MessageEntityType
from telegram.ext import MessageHandler, filters

from bot.i18n import Translator
from bot.services.chat_text import handle_text
from bot.services.errors import InvalidInput
from bot.services.tickets import FeedbackOutcome
from handlers.telegram import faq
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import NEW_MESSAGES, TelegramDeps, chat_user
from handlers.telegram.keyboards import share_phone_keyboard
from handlers.telegram.render import Html, clean_input, fmt, paragraphs
from handlers.telegram.surveys import answer_reply


def feedback_reply(t: Translator, outcome: FeedbackOutcome, *, staff_alerted: bool) -> Html | None:
    """What the customer is told, and only what is true: a conversation number and "we'll answer
    you here" when staff see it, a thank-you when not. None: say nothing (a flood is not answered
    message by message)."""
    ticket = outcome.ticket
    if outcome.relay == "paused_now":
        return fmt(t, "conversation.flood_notice" if staff_alerted else "conversation.flood_notice_kept")
    if outcome.relay in ("held", "paused") or (outcome.flooding and not outcome.ticket_opened):
        return None
    if ticket is not None and staff_alerted:
        if outcome.ticket_opened:
            return fmt(t, f"conversation.opened.{ticket.kind}", ticket=ticket.id)
        return fmt(t, "conversation.joined", ticket=ticket.id)
    if outcome.needs_human or ticket is not None:
        return fmt(t, "feedback.noted")
    return fmt(t, "feedback.thanks_praise" if outcome.kind == "praise" else "feedback.thanks")


def text_after_command(message: Message) -> str:
    """What follows `/feedback` (newlines kept, unlike context.args)."""
    text = message.text or ""
    command = next(
        (e for e in message.entities if e.type == MessageEntityType.BOT_COMMAND and e.offset == 0), None
    )
    return text[command.length :] if command else text


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx

    async def take(update: Update, context: ChatContext, text: str, *, survey: bool) -> None:
        """A customer's words: a survey answer (if `survey`), or a message for the team."""
        message, session = update.message, context.session
        assert message is not None and session is not None
        t = deps.t(context)
        unlinked = session.customer_id is None
        keyboard = share_phone_keyboard(t) if unlinked else None
        # Answers the shop wrote (FAQ): free text of a linked customer with no survey waiting and
        # no conversation open; it answers and stops here, or changes nothing.
        cleaned, linked = clean_input(text), session.customer_id
        if (
            survey
            and linked is not None
            and cleaned
            and await faq.answer_if_known(deps, update, context, linked, cleaned)
        ):
            return
        try:
            outcome = await deps.call(
                handle_text,
                ctx.clock,
                ctx.rules,
                customer_id=session.customer_id,
                user=chat_user(update),
                text=clean_input(text),
                source_event_id=session.source_event_id,
                survey=survey,
            )
        except InvalidInput:  # nothing left once control characters are removed
            await deps.reply(update, context, fmt(t, "feedback.empty"), keyboard)
            return
        if not isinstance(outcome, FeedbackOutcome):
            await answer_reply(deps, update, context, outcome)
            return
        body = feedback_reply(t, outcome, staff_alerted=deps.staff_alerted)
        if body is None:
            return
        if outcome.unknown_contact:  # heard, and asked again who they are
            body = paragraphs(body, fmt(t, "start.share_phone_prompt"))
        await deps.outbox.send(message.chat_id, body, customer_id=outcome.customer_id, markup=keyboard)

    async def feedback(update: Update, context: ChatContext) -> None:
        assert update.message is not None
        await take(update, context, text_after_command(update.message), survey=False)

    async def free_text(update: Update, context: ChatContext) -> None:
        assert update.message is not None
        await take(update, context, update.message.text or "", survey=True)

    async def not_text(update: Update, context: ChatContext) -> None:
        await deps.reply(update, context, fmt(deps.t(context), "error.unsupported_message"))

    deps.add_command(application, "feedback", feedback, "help.command.feedback")
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & NEW_MESSAGES, free_text))
    application.add_handler(
        MessageHandler(~filters.TEXT & ~filters.CONTACT & ~filters.StatusUpdate.ALL & NEW_MESSAGES, not_text)
    )
