"""Before and after every handler: the gate stops an update handled before (a replay), resolves
who is writing, puts their message on the timeline, and hands the update's claim to its handlers:
the first service call that commits an effect commits the claim with it (storage/inbound_claim.py),
so a crash in between leaves neither, and Telegram's redelivery is handled as new. The error
handler answers every failure politely (never a stack trace in the chat) and logs it with its
update.

Updates that reach the gate while a batch is in the database (updates of different chats run
concurrently) go together in the next transaction, with the claims of finished updates that
wrote nothing of their own: under load that is one commit per batch instead of one per update;
alone, an update waits for nothing.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop, ChatMemberHandler, TypeHandler

from bot.faults import crash_point
from bot.i18n import translator
from bot.services.chat_preferences import mark_unreachable, set_chat_reachable
from bot.services.chat_updates import UpdateClaim, begin_updates
from bot.services.customer_chat import ChatSession, InboundNote
from bot.services.inbound import InboundClaim, InboundReplayed, set_claim
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import TelegramDeps, chat_user, notify
from handlers.telegram.processor import PerChatUpdateProcessor
from handlers.telegram.render import clean_input, fmt

log = logging.getLogger(__name__)

_GONE = (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)


def inbound_note(update: Update) -> InboundNote | None:
    """The timeline entry for what the sender did; plain text and /feedback are logged by their service."""
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        text = clean_input(message.text)
        is_command = text.startswith("/")
        if not is_command or text.split(maxsplit=1)[0].split("@")[0] == "/feedback":
            return None
        return InboundNote("command", text)
    if message.contact is not None:
        return InboundNote("contact", "shared a phone number")
    caption = clean_input(message.caption or "")
    kind = next(
        (k for k in ("photo", "sticker", "voice", "video", "document", "location") if getattr(message, k)),
        "message",
    )
    return InboundNote("message", f"[{kind}] {caption}".strip())


class Claims:
    """Gate checks wait while a batch is in the database and then go together (a group commit), with
    the claims of finished updates that wrote nothing of their own."""

    def __init__(self, deps: TelegramDeps) -> None:
        self._deps = deps
        self._waiting: list[tuple[UpdateClaim, asyncio.Future[ChatSession | None]]] = []
        self._finishing: list[tuple[InboundClaim, asyncio.Future[ChatSession | None]]] = []
        self._draining: asyncio.Task[None] | None = None

    async def claim(self, claim: UpdateClaim) -> ChatSession | None:
        outcome = self._enqueue()
        self._waiting.append((claim, outcome))
        return await outcome

    async def finish(self, claim: InboundClaim) -> None:
        """Record the claim of an update that committed nothing of its own."""
        outcome = self._enqueue()
        self._finishing.append((claim, outcome))
        await outcome
        claim.state = "claimed"

    def _enqueue(self) -> asyncio.Future[ChatSession | None]:
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[ChatSession | None] = loop.create_future()
        if self._draining is None:
            # A context of its own: the batch's transaction carries no update's claim.
            self._draining = loop.create_task(
                self._drain(), name="telegram-claims", context=contextvars.Context()
            )
        return outcome

    async def _drain(self) -> None:
        try:
            while self._waiting or self._finishing:
                batch, self._waiting = self._waiting, []
                finishing, self._finishing = self._finishing, []
                await self._claim_all(batch, finishing)
        finally:
            self._draining = None

    async def _claim_all(
        self,
        batch: list[tuple[UpdateClaim, asyncio.Future[ChatSession | None]]],
        finishing: list[tuple[InboundClaim, asyncio.Future[ChatSession | None]]],
    ) -> None:
        deps = self._deps
        everyone = [outcome for _, outcome in batch] + [outcome for _, outcome in finishing]
        try:
            sessions = await deps.call(
                begin_updates,
                deps.ctx.clock,
                [c for c, _ in batch],
                default_language=deps.default_language,
                finished=[c for c, _ in finishing],
            )
        except asyncio.CancelledError:
            for outcome in everyone:
                outcome.cancel()
            raise
        except Exception as exc:  # each update's own error handler answers it
            for outcome in everyone:
                if not outcome.done():
                    outcome.set_exception(exc)
            return
        for (_, outcome), session in zip(batch, sessions, strict=True):
            if not outcome.done():
                outcome.set_result(session)
        for _, outcome in finishing:
            if not outcome.done():
                outcome.set_result(None)


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx
    claims = Claims(deps)
    processor = application.update_processor
    if isinstance(processor, PerChatUpdateProcessor):
        processor.record = claims.finish

    async def gate(update: Update, context: ChatContext) -> None:
        chat, user = update.effective_chat, update.effective_user
        if chat is None or user is None or chat.type != ChatType.PRIVATE or user.is_bot:
            raise ApplicationHandlerStop  # the bot serves private chats only
        wrote = update.message is not None or update.callback_query is not None
        claim = UpdateClaim(chat_user(update), str(update.update_id), inbound_note(update), wrote)
        session = await claims.claim(claim)
        if session is None:
            log.info("update %s was processed before; ignoring the replay", update.update_id)
            raise ApplicationHandlerStop
        context.session = session
        set_claim(InboundClaim("telegram", claim.update_key, ctx.clock.now()))
        crash_point("telegram.update")  # a test seam (bot/faults.py): received, nothing committed

    async def member_changed(update: Update, context: ChatContext) -> None:
        change = update.my_chat_member
        assert change is not None
        reachable = change.new_chat_member.status not in _GONE
        customer_id = await deps.call(
            set_chat_reachable, ctx.clock, user_id=str(change.from_user.id), reachable=reachable
        )
        log.info("customer %s %s the bot", customer_id, "restarted" if reachable else "blocked")

    async def on_error(update: object, context: ChatContext) -> None:
        error = context.error
        if isinstance(error, InboundReplayed):
            log.info("update %s: %s; ignoring this delivery", getattr(update, "update_id", "?"), error)
            return
        if not isinstance(update, Update):
            log.error("Telegram failure outside an update: %s", error, exc_info=error)
            return
        session = context.session
        customer_id = session.customer_id if session else None
        if isinstance(error, Forbidden):
            log.info("update %s: customer %s blocked the bot: %s", update.update_id, customer_id, error)
            if customer_id is not None:
                await deps.call(mark_unreachable, ctx.clock, customer_id=customer_id)
            return
        log.error("update %s (customer %s) failed", update.update_id, customer_id, exc_info=error)
        t = translator(session.language if session else deps.default_language)
        try:
            if update.callback_query is not None:
                await notify(update.callback_query, t.gettext("error.generic"))
            elif update.effective_chat is not None:
                await deps.outbox.send(
                    update.effective_chat.id, fmt(t, "error.generic"), customer_id=customer_id
                )
        except TelegramError as exc:
            log.warning("could not apologise for update %s: %s", update.update_id, exc)

    application.add_handler(TypeHandler(Update, gate), group=-1)
    application.add_handler(ChatMemberHandler(member_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)
