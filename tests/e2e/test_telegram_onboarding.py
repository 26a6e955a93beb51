"""Becoming a member in Telegram: /start, deep links, sharing a phone number, languages, /help."""

from __future__ import annotations

from bot.context import AppContext
from bot.sandbox.telegram import SandboxServer
from bot.sandbox.telegram.objects import message_json
from bot.services.customers import customer_for_chat
from bot.services.links import create_link_code
from handlers.telegram.component import TelegramComponent
from tests.e2e.telegram_harness import (  # noqa: F401
    BUSINESS,
    customer_of,
    fixture_tg_bot,
    fixture_tg_ctx,
    fixture_tg_server,
    new_chat,
)
from tests.services.helpers import new_customer


async def test_start_greets_and_asks_for_the_phone_number_with_a_contact_button(
    tg_server: SandboxServer, tg_bot: TelegramComponent
) -> None:
    ann = new_chat(tg_server.sandbox)
    reply = await ann.say("/start")
    assert reply.text is not None and reply.text.startswith(f"Hi! Welcome to {BUSINESS}.")
    assert "please share your phone number" in reply.text
    assert reply.reply_markup is not None
    assert reply.reply_markup["keyboard"][0][0]["request_contact"] is True


async def test_sharing_a_phone_number_links_the_matching_customer(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    imported = new_customer(tg_ctx, "C-77", name="Ann Lee", phone="+14155550123")
    ann = new_chat(tg_server.sandbox, phone="14155550123")  # Telegram often omits the +
    linked = await ann.join()
    assert linked.text == (
        f"Thank you! Your chat is now linked to your {BUSINESS} membership. Send /points to see your points."
    )
    assert customer_of(tg_ctx, ann).id == imported.id
    assert tg_server.sandbox.reply_keyboard(ann.id) is None


async def test_an_unknown_phone_number_creates_a_new_member(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    bob = new_chat(tg_server.sandbox, "Bob")
    welcome = await bob.join()
    assert welcome.text is not None and welcome.text.startswith(
        f"Welcome to {BUSINESS}! We've created a membership"
    )
    assert customer_of(tg_ctx, bob).external_id == f"tg-{bob.id}"


async def test_someone_elses_contact_is_refused(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    new_customer(tg_ctx, "C-1", phone="+14155550999")
    eve = new_chat(tg_server.sandbox, "Eve")
    await eve.say("/start")
    state = tg_server.sandbox.state
    with state.lock:  # a contact card of another person, sent from Eve's chat
        card = {"phone_number": "+14155550999", "first_name": "Mallory", "user_id": 42}
        sent = state.add_message(state.chats[eve.id], from_bot=False, contact=card)
        state.enqueue("message", message_json(state, sent))
    refused = await eve.next()
    assert refused.text == "Please share your own phone number using the button below."
    assert customer_for_chat(tg_ctx.uow(), "telegram", str(eve.id)) is None


async def test_a_deep_link_code_binds_the_chat_to_that_customer(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    carol = new_customer(tg_ctx, "C-9", name="Carol")
    assert carol.id is not None
    code = create_link_code(tg_ctx.uow(), tg_ctx.clock, customer_id=carol.id, actor="slack:U1").code
    chat = new_chat(tg_server.sandbox, "Carol")
    linked = await chat.say(f"/start {code}")
    assert "Your chat is now linked" in (linked.text or "")
    assert customer_of(tg_ctx, chat).id == carol.id
    stranger = new_chat(tg_server.sandbox, "Sam")
    refused = await stranger.say(f"/start {code}")
    assert refused.text == (
        "Sorry, this link is not valid or has expired. Please ask our staff for a new one, "
        "or share your phone number instead."
    )


async def test_chinese_telegram_clients_are_greeted_in_their_script(
    tg_server: SandboxServer, tg_bot: TelegramComponent
) -> None:
    simplified = new_chat(tg_server.sandbox, "李", language_code="zh-hans")
    traditional = new_chat(tg_server.sandbox, "陳", language_code="zh-hk")
    other = new_chat(tg_server.sandbox, "Jean", language_code="fr")
    assert "欢迎" in ((await simplified.say("/start")).text or "")
    assert "歡迎" in ((await traditional.say("/start")).text or "")
    assert ((await other.say("/start")).text or "").startswith("Hi!")
