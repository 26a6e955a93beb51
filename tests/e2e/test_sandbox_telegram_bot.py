"""The real python-telegram-bot Application against the Telegram sandbox, over HTTP on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox, UvicornServer

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(TelegramSandbox()) as running:
        yield running


def build_app(
    server: SandboxServer, rate_limiter: AIORateLimiter | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(server.sandbox.token)
        .base_url(server.bot_api_base_url)
        .base_file_url(server.file_base_url)
    )
    if rate_limiter is not None:
        builder = builder.rate_limiter(rate_limiter)
    return builder.build()


@asynccontextmanager
async def polling_bot(
    server: SandboxServer, *handlers: BaseHandler[Any, Any, Any]
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """A started Application polling the sandbox; handler errors fail the test instead of being logged."""
    app = build_app(server)
    errors: list[BaseException] = []

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    app.add_error_handler(record)
    for handler in handlers:
        app.add_handler(handler)
    async with app:
        await app.updater.start_polling(poll_interval=0)  # type: ignore[union-attr]
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()
    if errors:
        raise errors[0]


async def test_long_polling_delivers_start_with_code_to_command_handler_and_reply_is_readable(
    server: SandboxServer,
) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        name = update.effective_user.first_name
        await update.effective_message.reply_html(f"Welcome, <b>{name}</b>! code={context.args}")

    sandbox = server.sandbox
    ann = sandbox.create_user("Ann", language_code="en")
    async with polling_bot(server, CommandHandler("start", start)):
        sandbox.push_text(ann.id, "/start LINK42")
        reply = await sandbox.next_bot_message(ann.id, timeout=3)
    assert reply.text == "Welcome, Ann! code=['LINK42']"
    assert reply.entity_texts("bold") == ["Ann"]
    assert reply.parse_mode == "HTML"


async def test_inline_button_tap_reaches_callback_handler_and_is_answered_once(server: SandboxServer) -> None:
    second_answer: list[BadRequest] = []
    handled = asyncio.Event()

    async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Redeem", callback_data="redeem:7")]])
        await update.effective_message.reply_text("Free gift: 300 points", reply_markup=keyboard)  # type: ignore[union-attr]

    async def tapped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data == "redeem:7"
        await query.answer("Redeemed!")
        await query.edit_message_text("Coupon: GIFT-123")
        try:
            await query.answer("again")
        except BadRequest as error:
            second_answer.append(error)
        handled.set()

    sandbox = server.sandbox
    bob = sandbox.create_user("Bob")
    async with polling_bot(server, CommandHandler("rewards", offer), CallbackQueryHandler(tapped)):
        sandbox.push_text(bob.id, "/rewards")
        offer_message = await sandbox.next_bot_message(bob.id, timeout=3)
        assert offer_message.buttons == [["Redeem"]]
        query_id = sandbox.tap_button(bob.id, offer_message.message_id, text="Redeem")
        answer = await sandbox.wait_for_callback_answer(query_id, timeout=3)
        edited = await sandbox.wait_for(
            lambda: m if (m := sandbox.bot_messages(bob.id)[-1]).edit_count else None, 3
        )
        await asyncio.wait_for(handled.wait(), 3)
    assert answer["text"] == "Redeemed!"
    assert edited.text == "Coupon: GIFT-123"
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    assert second_answer[0].message.startswith("Query is too old and response timeout expired")


async def test_bad_html_is_rejected_with_the_real_parse_error(server: SandboxServer) -> None:
    chat = server.sandbox.create_user("Cai").id
    async with build_app(server) as app:
        with pytest.raises(BadRequest) as unsupported:
            await app.bot.send_message(chat, "line one<br>line two", parse_mode="HTML")
        with pytest.raises(BadRequest) as unclosed:
            await app.bot.send_message(chat, "<b>bold", parse_mode="HTML")
        with pytest.raises(BadRequest) as unescaped:
            await app.bot.send_message(chat, "Thanks!", parse_mode="MarkdownV2")
    assert unsupported.value.message == 'Can\'t parse entities: unsupported start tag "br" at byte offset 8'
    assert (
        unclosed.value.message == "Can't parse entities: can't find end tag corresponding to start tag \"b\""
    )
    assert "character '!' is reserved" in unescaped.value.message
    assert server.sandbox.bot_messages(chat) == []


# AIORateLimiter itself reads RetryAfter.retry_after, which PTB 22.2+ deprecates as an int.
@pytest.mark.filterwarnings("ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning")
async def test_flood_limit_serves_429_and_rate_limiter_retries_so_nothing_is_lost(
    server: SandboxServer,
) -> None:
    sandbox = server.sandbox
    sandbox.set_flood_limits(FloodLimits(per_chat_per_second=1.0, per_chat_burst=2))
    chat = sandbox.create_user("Dee").id
    async with build_app(server) as bare:
        await bare.bot.send_message(chat, "1")
        await bare.bot.send_message(chat, "2")
        with pytest.raises(RetryAfter) as refused:
            await bare.bot.send_message(chat, "3")
    assert refused.value.message == "Flood control exceeded. Retry in 1 seconds"
    sandbox.set_flood_limits(FloodLimits(per_chat_per_second=1.0, per_chat_burst=2))
    started = time.monotonic()
    async with build_app(server, AIORateLimiter(max_retries=3)) as app:
        for n in range(3, 6):
            await app.bot.send_message(chat, str(n))
    assert [m.text for m in sandbox.bot_messages(chat)] == ["1", "2", "3", "4", "5"]
    assert sandbox.stats.flood_429 >= 2
    assert time.monotonic() - started < 4.5


async def test_blocked_chat_raises_forbidden_and_the_bot_hears_about_it(server: SandboxServer) -> None:
    sandbox = server.sandbox
    chat = sandbox.create_user("Eve").id
    sandbox.block(chat)
    async with build_app(server) as app:
        with pytest.raises(Forbidden) as refused:
            await app.bot.send_message(chat, "We miss you!")
        updates = await app.bot.get_updates()
    assert refused.value.message == "Forbidden: bot was blocked by the user"
    assert updates[-1].my_chat_member is not None
    assert updates[-1].my_chat_member.new_chat_member.status == "kicked"


async def test_webhook_posts_updates_with_the_secret_header_and_retries_failures(
    server: SandboxServer,
) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    answers = iter([500, 200])

    async def webhook(request: Request) -> Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return Response(status_code=next(answers, 200))

    sandbox = server.sandbox
    fay = sandbox.create_user("Fay").id
    receiver_app = Starlette(routes=[Route("/tg", webhook, methods=["POST"])])
    async with UvicornServer(receiver_app) as receiver, build_app(server) as app:
        assert await app.bot.set_webhook(f"{receiver.url}/tg", secret_token="s3cret-token")
        with pytest.raises(Conflict):
            await app.bot.get_updates()
        sandbox.push_text(fay, "hello")
        await sandbox.wait_for(lambda: True if len(received) == 2 else None, 3)
        await sandbox.wait_for(lambda: True if not sandbox.pending_updates() else None, 3)
        info = await app.bot.get_webhook_info()
        await app.bot.delete_webhook()
    assert [secret for secret, _ in received] == ["s3cret-token", "s3cret-token"]
    assert received[0][1] == received[1][1]  # the same update, retried after the 500
    assert received[1][1]["message"]["text"] == "hello"
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_multipart_send_document_and_photo_keep_the_bytes_and_filename(server: SandboxServer) -> None:
    sandbox = server.sandbox
    chat = sandbox.create_user("Gus").id
    csv = b"customer_id,points\n42,300\n"
    async with build_app(server) as app:
        sent = await app.bot.send_document(
            chat, document=csv, filename="my-data.csv", caption="<i>Your data</i>", parse_mode="HTML"
        )
        await app.bot.send_photo(chat, photo=PNG_1X1, filename="chart.png")
        assert sent.document is not None
        resent = await app.bot.send_document(chat, document=sent.document.file_id)
        downloaded = await (await app.bot.get_file(sent.document.file_id)).download_as_bytearray()
        with pytest.raises(BadRequest, match="Image_process_failed"):
            await app.bot.send_photo(chat, photo=b"not an image", filename="x.png")
    document, photo, again = sandbox.bot_messages(chat)
    assert document.document is not None and document.document.data == csv
    assert document.document.filename == "my-data.csv" and document.document.mime_type == "text/csv"
    assert document.text == "Your data" and document.entity_texts("italic") == ["Your data"]
    assert photo.photo is not None and (photo.photo.width, photo.photo.height) == (1, 1)
    assert again.document == document.document  # re-sent by file_id: the same stored file
    assert resent.document is not None and resent.document.file_id == sent.document.file_id
    assert bytes(downloaded) == csv


async def test_a_second_poller_terminates_the_first_with_conflict(server: SandboxServer) -> None:
    async with build_app(server) as first, build_app(server) as second:
        waiting = asyncio.create_task(first.bot.get_updates(timeout=5))
        await server.sandbox.wait_for(lambda: True if server.sandbox.state.poll_generation == 1 else None, 2)
        assert await second.bot.get_updates(timeout=0) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await waiting
