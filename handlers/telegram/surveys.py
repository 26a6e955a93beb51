"""The survey conversation in the chat: score buttons, /skip, what each answer gets back, the CSAT
after a resolved ticket and the one reminder (both arrive as events)."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.events import SurveyReminderDue, TicketResolved
from bot.i18n import Translator, translator
from bot.outbox import current_delivery
from bot.services.customer_chat import OutboundNote, log_outbound
from bot.services.survey_dispatch import mark_failed, mark_sent, reminder_prompt, start_csat
from bot.services.survey_states import CSAT, nps_category
from bot.services.surveys import (
    ScoreNotUnderstood,
    ScoreRecorded,
    SurveyAnswer,
    SurveyClosed,
    answer_button,
    skip_reason,
)
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import TelegramDeps, notify, query_message
from handlers.telegram.keyboards import SCORE_PATTERN, score_keyboard
from handlers.telegram.render import Html, fmt, nfmt, paragraphs, plain

log = logging.getLogger(__name__)

Subscription = tuple[type, Any]


def question(t: Translator, business: str, kind: str) -> Html:
    return fmt(t, "csat.question") if kind == CSAT else fmt(t, "survey.nps.question", business=business)


def thanks(t: Translator, business: str, kind: str, score: int, points: int, *, staff_alerted: bool) -> Html:
    """The thank-you; a detractor hears "our team will look into it" only when an alert reaches staff."""
    if kind == CSAT:
        return fmt(t, "csat.thanks")
    category: str = nps_category(score)
    if category == "detractor" and not staff_alerted:
        category = "detractor_noted"
    said = fmt(t, f"survey.nps.thanks_{category}", business=business)
    reward = nfmt(t, "survey.reward_credited", points, points=t.format_decimal(points)) if points else None
    return paragraphs(said, reward)


async def answer_reply(
    deps: TelegramDeps,
    update: Update,
    context: ChatContext,
    answer: SurveyAnswer,
    tapped: Message | None = None,
) -> None:
    """What the customer sees after an answer: the reason question, a re-ask, or the thank-you."""
    t = deps.t(context)
    chat = update.effective_chat
    assert chat is not None
    if isinstance(answer, ScoreNotUnderstood):
        body = fmt(t, "survey.reask_score", low=answer.low, high=answer.high)
        await deps.reply(update, context, body, score_keyboard(answer.kind, answer.dispatch_id))
        return
    if isinstance(answer, ScoreRecorded):
        await deps.outbox.drop_buttons(chat.id, tapped.message_id if tapped else answer.question_message_id)
        if answer.ask_reason:
            await deps.reply(update, context, fmt(t, "survey.nps.reason_question"))
            return
    body = thanks(
        t, deps.business, answer.kind, answer.score, answer.points, staff_alerted=deps.staff_alerted
    )
    await deps.reply(update, context, body)


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx

    async def tapped(update: Update, context: ChatContext) -> None:
        query, message = query_message(update)
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        t = deps.t(context)
        match = context.matches[0] if context.matches else None
        assert match is not None
        try:
            answer = await deps.call(
                answer_button,
                ctx.clock,
                ctx.rules,
                customer_id=customer_id,
                dispatch_id=int(match.group(2)),
                score=int(match.group(3)),
            )
        except SurveyClosed as closed:
            await notify(query, t.gettext("survey.expired" if closed.expired else "error.stale_button"))
            return
        await notify(query)
        await answer_reply(deps, update, context, answer, message)

    async def skip(update: Update, context: ChatContext) -> None:
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        finished = await deps.call(skip_reason, ctx.clock, customer_id=customer_id)
        if finished is None:
            await deps.reply(update, context, fmt(deps.t(context), "survey.nothing_to_skip"))
            return
        await answer_reply(deps, update, context, finished)

    application.add_handler(CallbackQueryHandler(tapped, pattern=SCORE_PATTERN))
    deps.add_command(application, "skip", skip, None)  # only meaningful inside a survey


def subscriptions(deps: TelegramDeps) -> list[Subscription]:
    """Event handlers: the CSAT when a ticket is resolved, the reminder when one is due."""
    ctx = deps.ctx

    async def ticket_resolved(event: TicketResolved) -> None:
        delivery = current_delivery()
        start = await deps.call(
            start_csat,
            ctx.clock,
            ticket_id=event.ticket_id,
            customer_id=event.customer_id,
            default_language=deps.default_language,
            in_doubt=delivery is not None and delivery.taken_over,
        )
        if start.target is None:
            return
        t = translator(start.target.language)
        resolved = fmt(t, "ticket.resolved", ticket=event.ticket_id)
        prompt = start.prompt
        if prompt is None:
            await deps.outbox.send(start.target.chat_id, resolved, customer_id=event.customer_id)
            return
        body = paragraphs(resolved, question(t, deps.business, CSAT))
        markup = score_keyboard(CSAT, prompt.dispatch_id)
        try:
            message = await deps.outbox.send(
                prompt.chat_id, body, customer_id=event.customer_id, markup=markup, log_it=False
            )
        except TelegramError as exc:  # the outbox tries again; start_csat offers the question anew
            await deps.call(mark_failed, ctx.clock, dispatch_id=prompt.dispatch_id, reason=type(exc).__name__)
            raise
        if message is None:
            await deps.call(mark_failed, ctx.clock, dispatch_id=prompt.dispatch_id, reason="blocked")
            return
        await deps.call(
            mark_sent,
            ctx.clock,
            ctx.rules,
            dispatch_id=prompt.dispatch_id,
            message_id=str(message.message_id),
            text=plain(body),
            bot_initiated=False,
        )

    async def reminder_due(event: SurveyReminderDue) -> None:
        prompt = await deps.call(
            reminder_prompt, dispatch_id=event.dispatch_id, default_language=deps.default_language
        )
        if prompt is None:
            return
        t = translator(prompt.language)
        body = fmt(t, "survey.reminder", business=deps.business)
        markup = score_keyboard(prompt.kind, prompt.dispatch_id)
        message = await deps.outbox.send(
            prompt.chat_id, body, customer_id=prompt.customer_id, markup=markup, log_it=False
        )
        if message is not None:
            note = OutboundNote(prompt.customer_id, plain(body), "reminder", bot_initiated=True)
            await deps.call(log_outbound, ctx.clock, [note])

    return [(TicketResolved, ticket_resolved), (SurveyReminderDue, reminder_due)]
