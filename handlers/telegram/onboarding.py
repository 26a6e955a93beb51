"""/start: the greeting; `/start CODE` links the chat by a staff deep link; otherwise (also `/start
join`, the counter poster's QR code) a "share my phone number" button, and the shared contact
links the chat to the customer with that number."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update
from telegram.ext import MessageHandler, filters

from bot.i18n import translator
from bot.poster import JOIN_CODE
from bot.services.customer_chat import link_by_code, link_by_contact
from bot.services.errors import InvalidInput
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import NEW_MESSAGES, TelegramDeps, chat_user
from handlers.telegram.keyboards import share_phone_keyboard
from handlers.telegram.render import fmt, paragraphs

MAX_CODE = 64


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx

    async def start(update: Update, context: ChatContext) -> None:
        t = deps.t(context)
        greeting = fmt(t, "start.greeting", business=deps.business)
        code = context.args[0] if context.args else None
        if code and code != JOIN_CODE:  # the counter poster's link is a plain /start
            try:
                linked = await deps.call(
                    link_by_code,
                    ctx.clock,
                    user=chat_user(update),
                    code=code[:MAX_CODE],
                    default_language=deps.default_language,
                )
            except InvalidInput:
                await deps.reply(update, context, fmt(t, "start.link_invalid"), share_phone_keyboard(t))
                return
            t = translator(linked.language)
            body = paragraphs(
                fmt(t, "start.greeting", business=deps.business),
                fmt(t, "start.linked", business=deps.business),
            )
            assert update.effective_chat is not None
            await deps.outbox.send(
                update.effective_chat.id,
                body,
                customer_id=linked.customer_id,
                markup=ReplyKeyboardRemove(),
            )
            return
        session = context.session
        if session is not None and session.customer_id is not None:
            await deps.reply(update, context, paragraphs(greeting, fmt(t, "start.welcome_back")))
            return
        prompt = fmt(t, "start.share_phone_prompt")
        await deps.reply(update, context, paragraphs(greeting, prompt), share_phone_keyboard(t))

    async def contact(update: Update, context: ChatContext) -> None:
        message, user = update.message, update.effective_user
        assert message is not None and message.contact is not None and user is not None
        t = deps.t(context)
        shared = message.contact
        if shared.user_id != user.id:  # someone else's card: it proves nothing about the sender
            await deps.reply(update, context, fmt(t, "start.share_own_phone"), share_phone_keyboard(t))
            return
        name = " ".join(part for part in (shared.first_name, shared.last_name) if part)
        try:
            linked = await deps.call(
                link_by_contact,
                ctx.clock,
                user=chat_user(update),
                phone_number=shared.phone_number,
                name=name,
                default_language=deps.default_language,
            )
        except InvalidInput:
            await deps.reply(update, context, fmt(t, "start.phone_invalid"), share_phone_keyboard(t))
            return
        t = translator(linked.language)
        msgid = "start.new_member" if linked.created else "start.linked"
        await deps.outbox.send(
            message.chat_id,
            fmt(t, msgid, business=deps.business),
            customer_id=linked.customer_id,
            markup=ReplyKeyboardRemove(),
        )

    deps.add_command(application, "start", start, "help.command.start")
    application.add_handler(MessageHandler(filters.CONTACT & NEW_MESSAGES, contact))
