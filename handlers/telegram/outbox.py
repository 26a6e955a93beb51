"""Everything the bot sends goes through here: HTML, split past 4096 characters, logged on the
customer's timeline, and a 403 (blocked) marks the customer unreachable so nothing more is sent.

Replies are logged with the next service call (see calls.py). Bot-initiated messages are logged at
once, because the 24-hour contact rule counts them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ExtBot

from bot.context import AppContext
from bot.i18n import Translator, translator
from bot.services.chat_preferences import chat_target, mark_unreachable
from bot.services.customer_chat import OutboundNote, log_outbound
from handlers.telegram.calls import ServiceCalls
from handlers.telegram.render import Html, plain, split_html

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
Compose = Callable[[Translator], tuple[Html, Markup | None]]


class Outbox:
    def __init__(self, ctx: AppContext, bot: ExtBot[Any], call: ServiceCalls) -> None:
        self.ctx = ctx
        self.bot = bot
        self.call = call

    async def send(
        self,
        chat_id: int | str,
        body: Html,
        *,
        customer_id: int | None,
        markup: Markup | None = None,
        kind: str = "reply",
        log_it: bool = True,
    ) -> Message | None:
        """Send `body` (split if needed; buttons on the last piece). None if the customer blocked the bot."""
        pieces = split_html(body)
        message: Message | None = None
        try:
            for number, piece in enumerate(pieces, start=1):
                message = await self.bot.send_message(
                    chat_id,
                    piece,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup if number == len(pieces) else None,
                )
        except Forbidden as exc:
            await self.blocked(customer_id, exc)
            return None
        if log_it and customer_id is not None:
            self.call.note(OutboundNote(customer_id, plain(body), kind))
        return message

    async def edit(
        self,
        chat_id: int | str,
        message_id: int,
        body: Html,
        *,
        customer_id: int | None,
        markup: InlineKeyboardMarkup | None = None,
        kind: str = "reply",
    ) -> None:
        """Replace a bot message's text (and buttons); if it cannot be edited, send the text anew."""
        try:
            await self.bot.edit_message_text(
                split_html(body)[0],
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except Forbidden as exc:
            await self.blocked(customer_id, exc)
            return
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return
            log.warning(
                "could not edit message %s in chat %s (%s); sending it anew", message_id, chat_id, exc
            )
            await self.send(chat_id, body, customer_id=customer_id, markup=markup, kind=kind)
            return
        if customer_id is not None:
            self.call.note(OutboundNote(customer_id, plain(body), kind))

    async def drop_buttons(self, chat_id: int | str, message_id: int | str | None) -> None:
        """Take the buttons off an answered question (best effort: a tap on them is answered as stale)."""
        if message_id is None or not str(message_id).isdigit():
            return
        try:
            await self.bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=int(message_id), reply_markup=None
            )
        except (BadRequest, Forbidden) as exc:
            log.info("buttons of message %s in chat %s stay: %s", message_id, chat_id, exc)

    async def send_document(
        self, chat_id: int | str, data: bytes, filename: str, caption: Html, *, customer_id: int | None
    ) -> Message | None:
        try:
            message = await self.bot.send_document(
                chat_id,
                document=data,
                filename=filename,
                caption=split_html(caption, 1024)[0],
                parse_mode=ParseMode.HTML,
            )
        except Forbidden as exc:
            await self.blocked(customer_id, exc)
            return None
        if customer_id is not None:
            self.call.note(OutboundNote(customer_id, f"[{filename}] {plain(caption)}", "document"))
        return message

    async def to_customer(
        self,
        customer_id: int,
        compose: Compose,
        *,
        kind: str,
        bot_initiated: bool = False,
        log_it: bool = True,
    ) -> Message | None:
        """Write to a customer on the bot's initiative (events, jobs): their chat, their language.

        Nothing is sent to a customer without a chat or one marked unreachable.
        """
        target = await self.call(
            chat_target, customer_id, default_language=self.ctx.settings.default_language
        )
        if target is None or target.unreachable:
            log.info("customer %s has no reachable Telegram chat; %s not sent", customer_id, kind)
            return None
        body, markup = compose(translator(target.language))
        message = await self.send(
            target.chat_id, body, customer_id=customer_id, markup=markup, kind=kind, log_it=False
        )
        if message is not None and log_it:
            note = OutboundNote(customer_id, plain(body), kind, bot_initiated)
            if bot_initiated:
                await self.call(log_outbound, self.ctx.clock, [note])
            else:
                self.call.note(note)
        return message

    async def blocked(self, customer_id: int | None, error: Forbidden) -> None:
        log.info("Telegram refused a message to customer %s: %s", customer_id, error.message)
        if customer_id is not None:
            await self.call(mark_unreachable, self.ctx.clock, customer_id=customer_id)
