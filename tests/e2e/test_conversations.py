"""SPEC §8 end to end: every customer message reaches someone who can answer it. The real Telegram bot
and the real Slack app on one database, each against its sandbox over loopback HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.i18n import translator
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.services.conversations import kind_of, open_ticket_of
from bot.services.customers import create_customer
from bot.services.links import create_link_code
from bot.services.tickets import get_ticket
from bot.text.triage import NEEDS_HUMAN
from handlers.telegram.component import TelegramComponent
from storage.models import Customer, Interaction, Ticket
from tests.e2e.telegram_harness import BUSINESS, Chat, customer_of, new_chat, running
from tests.support import triage_set
from tests.support.slack_world import SlackWorld, shown, slack_world

KINDS = ("complaint", "question", "request", "praise", "chatter")
LANGUAGE_CODES = {"en": "en", "zh-Hans": "zh-hans", "zh-Hant": "zh-tw"}
HEADLINE = {"complaint": "Complaint", "question": "Question", "request": "Request"}


def samples() -> dict[tuple[str, str], str]:
    """One message of each kind in each language from the labelled set (the first one triage reads as
    its label: this test is about where a message lands, not about triage's accuracy)."""
    found: dict[tuple[str, str], str] = {}
    for message in triage_set.load():
        key = (message.lang, message.kind)
        if key not in found and kind_of(message.text) == message.kind:
            found[key] = message.text
    assert len(found) == len(LANGUAGE_CODES) * len(KINDS)
    return found


@dataclass
class Shop:
    telegram: TelegramSandbox
    world: SlackWorld
    bot: TelegramComponent

    @property
    def ctx(self) -> AppContext:
        return self.world.ctx

    def stranger(self, first: str, *, username: str | None, language: str = "en") -> Chat:
        """A Telegram user who never shared a phone number nor opened a staff link."""
        user = self.telegram.create_user(
            first, last_name="Stranger", username=username, language_code=LANGUAGE_CODES[language]
        )
        return Chat(self.telegram, user)

    def thread(self, ticket_id: int) -> list[dict[str, Any]]:
        """The app's messages in the conversation's alert thread (the alert itself left out)."""
        ticket = get_ticket(self.ctx.uow(), ticket_id)
        assert ticket.slack_ts is not None, f"conversation #{ticket_id} has no alert"
        return [m for m in self.world.app_messages(ticket.slack_ts) if m["ts"] != ticket.slack_ts]

    def alert(self, ticket_id: int) -> dict[str, Any]:
        ticket = get_ticket(self.ctx.uow(), ticket_id)
        assert ticket.slack_ts is not None, f"conversation #{ticket_id} has no alert"
        return self.world.driver.message(self.world.channel, ticket.slack_ts)


@asynccontextmanager
async def staffed(database_url: str, clock: ManualClock) -> AsyncIterator[Shop]:
    """The shop with Telegram and Slack (a team channel: staff see new conversations)."""
    async with SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as server:
        options: dict[str, Any] = {
            "telegram_bot_token": server.sandbox.token,
            "telegram_api_base_url": server.bot_api_base_url,
            "business_name": BUSINESS,
        }
        async with slack_world(database_url, clock, **options) as world, running(world.ctx) as bot:
            yield Shop(server.sandbox, world, bot)


def messages_of(ctx: AppContext, customer_id: int) -> list[Interaction]:
    with ctx.uow() as uow:
        return list(
            uow.session.exec(
                select(Interaction)
                .where(Interaction.customer_id == customer_id, Interaction.kind == "feedback")
                .order_by(col(Interaction.id))
            ).all()
        )


async def until(check: Callable[[], bool], what: str, within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within} s")
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
async def test_each_kind_in_each_language_lands_where_it_should(
    sqlite_url: str, clock: ManualClock, linked: bool
) -> None:
    async with staffed(sqlite_url, clock) as shop:
        opened: dict[int, str] = {}
        for (language, kind), text in samples().items():
            if linked:
                chat = new_chat(shop.telegram, f"{kind}-{language}", language_code=LANGUAGE_CODES[language])
                await chat.join()
            else:
                chat = shop.stranger(f"{kind}-{language}", username=f"u_{kind}", language=language)
            reply = await chat.say(text)
            t = translator(language)
            customer = customer_of(shop.ctx, chat)
            assert customer.id is not None and customer.unknown_contact is not linked
            ticket = open_ticket_of(shop.ctx.uow(), customer.id)
            if kind in NEEDS_HUMAN:
                assert ticket is not None and ticket.id is not None and ticket.kind == kind
                expected = t.format(f"conversation.opened.{kind}", ticket=ticket.id)
                opened[ticket.id] = kind
            else:
                assert ticket is None, f"{kind} opened a conversation: {text}"
                expected = t.format("feedback.thanks_praise" if kind == "praise" else "feedback.thanks")
            if not linked:  # heard, and asked again to share the phone number
                expected += "\n\n" + t.format("start.share_phone_prompt")
                assert reply.reply_markup is not None
                assert reply.reply_markup["keyboard"][0][0]["request_contact"] is True
            assert reply.text == expected
            [said] = messages_of(shop.ctx, customer.id)
            assert (said.text, said.triage) == (text, kind)
        await shop.world.settle()

        alerts = shop.world.app_messages()
        assert len(alerts) == len(opened) == 9  # praise and chatter alert nobody
        for ticket_id, kind in opened.items():
            alert = shown(shop.alert(ticket_id))
            assert f"{HEADLINE[kind]} #{ticket_id}" in alert
            assert ("unknown contact" in alert) is not linked
            assert linked or f"(@u_{kind})" in alert
        sent = [m.text or "" for chat in shop.telegram.users() for m in shop.telegram.bot_messages(chat.id)]
        assert not any("passed" in text for text in sent)


async def test_a_second_question_joins_the_open_conversation_and_reaches_its_thread(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with staffed(sqlite_url, clock) as shop:
        ann = new_chat(shop.telegram, "Ann")
        await ann.join()
        first = await ann.say("Do you deliver to Kowloon?")
        assert first.text == "Thanks for asking. This is conversation #1 — we'll answer you here."
        clock.advance(timedelta(seconds=20))
        second = await ann.say("Also, can I change my pickup time to 5pm?")  # a request: it joins #1
        assert second.text == "Added to conversation #1 — we'll answer you here."
        clock.advance(timedelta(seconds=20))
        thanks = await ann.say("thanks!")  # chatter joins an open conversation too
        assert thanks.text == "Added to conversation #1 — we'll answer you here."
        await shop.world.settle()

        assert len(shop.world.app_messages()) == 1
        assert "Question #1" in shown(shop.alert(1))
        thread = [m["text"] for m in shop.thread(1)]
        assert len(thread) == 2
        assert "change my pickup time to 5pm" in thread[0] and "thanks!" in thread[1]
        with shop.ctx.uow() as uow:
            assert len(uow.session.exec(select(Ticket)).all()) == 1


async def test_a_stranger_is_heard_asked_for_their_phone_and_linking_moves_the_conversation(
    database_url: str, clock: ManualClock
) -> None:
    async with staffed(database_url, clock) as shop:
        imported = create_customer(
            shop.ctx.uow(), clock, external_id="C-7", name="Mei Chan", phone="+14155550107"
        )
        mei = shop.stranger("Mei", username="meimei", language="zh-Hant")
        question = "請問你們星期日有開嗎？"
        reply = await mei.say(question)
        t = translator("zh-Hant")
        contact = customer_of(shop.ctx, mei)  # the chat's unknown contact
        assert contact.unknown_contact and contact.name == "Mei Stranger" and contact.id is not None
        ticket = open_ticket_of(shop.ctx.uow(), contact.id)
        assert ticket is not None and ticket.id is not None and ticket.kind == "question"
        assert reply.text == (
            t.format("conversation.opened.question", ticket=ticket.id)
            + "\n\n"
            + t.format("start.share_phone_prompt")
        )
        assert reply.reply_markup is not None
        assert reply.reply_markup["keyboard"][0][0]["request_contact"] is True
        await shop.world.settle()
        alert = shown(shop.alert(ticket.id))
        assert "Question #1" in alert and "unknown contact *Mei Stranger* (@meimei)" in alert

        clock.advance(timedelta(minutes=2))
        again = await mei.say("幾點開門？")
        assert again.text is not None and f"#{ticket.id}" in again.text
        assert (await mei.say("/points")).text == t.gettext("error.not_registered")

        # Sharing the phone number links the chat to the imported customer: the conversation and
        # the stranger's messages are hers now, and the alert says who she is.
        shop.telegram.push_contact(mei.id, "+14155550107")
        linked = await mei.next()
        assert linked.text == t.format("start.linked", business=BUSINESS)
        assert customer_of(shop.ctx, mei).id == imported.id
        moved = get_ticket(shop.ctx.uow(), ticket.id)
        assert moved.customer_id == imported.id and moved.status == "open"
        assert [m.text for m in messages_of(shop.ctx, imported.id or 0)] == [question, "幾點開門？"]
        await shop.world.settle()
        alert = shown(shop.alert(ticket.id))
        assert "Mei Chan" in alert and "C-7" in alert and "unknown contact" not in alert
        assert any("now linked to *Mei Chan*" in m["text"] for m in shop.thread(ticket.id))
        with shop.ctx.uow() as uow:
            merged = uow.session.get(Customer, contact.id)
            assert merged is not None and merged.merged_into_id == imported.id


async def test_a_stranger_without_a_match_becomes_a_new_customer_and_chatter_alerts_nobody(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with staffed(sqlite_url, clock) as shop:
        bo = shop.stranger("Bo", username=None)
        hello = await bo.say("hi 👋")
        assert hello.text == (
            "Thank you for your message!\n\n"
            "To find your membership, please share your phone number with the button below. "
            "We only use it to recognise you."
        )
        complaint = await bo.say("my parcel arrived with the box crushed and the mug broken")
        assert (complaint.text or "").startswith("We're sorry to hear that. This is conversation #1")
        await shop.world.settle()
        assert "unknown contact *Bo Stranger* (no Telegram username)" in shown(shop.alert(1))

        shop.telegram.push_contact(bo.id, "+14155550999")
        welcome = await bo.next()
        assert welcome.text == translator("en").format("start.new_member", business=BUSINESS)
        customer = customer_of(shop.ctx, bo)
        assert not customer.unknown_contact and customer.phone == "+14155550999"
        assert get_ticket(shop.ctx.uow(), 1).customer_id == customer.id
        assert [m.triage for m in messages_of(shop.ctx, customer.id or 0)] == ["chatter", "complaint"]


async def test_forty_messages_in_thirty_seconds_give_a_handful_of_thread_posts_and_one_notice(
    database_url: str, clock: ManualClock
) -> None:
    async with staffed(database_url, clock) as shop:
        ann = new_chat(shop.telegram, "Ann")
        await ann.join()
        customer = customer_of(shop.ctx, ann)
        before = len(ann.messages())
        for n in range(1, 41):
            shop.telegram.push_text(ann.id, f"where is my order?? ({n})")
            await until(lambda n=n: len(messages_of(shop.ctx, customer.id or 0)) == n, f"message {n} stored")
            clock.advance(timedelta(seconds=0.75))
        await shop.world.settle()
        await asyncio.sleep(0.3)  # the bot's replies to the last messages, if it made any

        replies = ann.messages()[before:]
        assert replies[0] == "Thanks for asking. This is conversation #1 — we'll answer you here."
        assert replies[1:5] == ["Added to conversation #1 — we'll answer you here."] * 4
        assert replies[5:] == [
            "We have your messages — every one is saved in your conversation, and we'll answer you "
            "here. There's no need to send more for now."
        ]
        thread = [m["text"] for m in shop.thread(1)]
        assert len(thread) == 5  # messages 2-5 one by one, then the pause
        assert "(5)" in thread[3] and "more than 30 messages in 10 minutes" in thread[4]
        assert "Relaying paused since" in shown(shop.alert(1))
        shop.telegram.mark_read(ann.id)

        # A minute after the last single post, the held messages (6-31) go in as one post.
        assert await shop.world.component.poster.relay_held() == 0  # type: ignore[union-attr]
        clock.advance(timedelta(seconds=35))
        assert await shop.world.component.poster.relay_held() == 1  # type: ignore[union-attr]
        assert await shop.world.component.poster.relay_held() == 0  # type: ignore[union-attr]
        thread = [m["text"] for m in shop.thread(1)]
        assert len(thread) == 6
        combined = thread[5]
        assert "wrote 25 messages" in combined
        assert "(6)" in combined and "(30)" in combined and "(31)" not in combined
        stored = messages_of(shop.ctx, customer.id or 0)
        assert len(stored) == 40 and [m.relay for m in stored].count("kept") == 11  # #1 and 31-40

        # Staff answer: the customer's next message reaches the thread again, and is answered.
        await shop.world.driver.press_button(
            "alert_reply", user=shop.world.alice, channel=shop.world.channel, ts=shop.alert(1)["ts"]
        )
        await shop.world.settle()
        modal = shop.world.driver.top_modal(shop.world.alice)
        assert modal is not None
        await shop.world.driver.submit_view(modal["id"], {"reply": {"text": "On its way, Ann!"}})
        await shop.world.settle()
        assert "On its way, Ann!" in (await ann.next()).text  # type: ignore[operator]
        clock.advance(timedelta(minutes=2))
        assert (await ann.say("great, thank you")).text == (
            "Added to conversation #1 — we'll answer you here."
        )
        await shop.world.settle()
        assert "great, thank you" in shop.thread(1)[-1]["text"]
        assert "Relaying paused" not in shown(shop.alert(1))
        assert (await ann.say("/help")).text is not None  # the bot is fine


async def test_a_staff_link_attaches_a_strangers_conversation_to_the_customer(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with staffed(sqlite_url, clock) as shop:
        lee = create_customer(shop.ctx.uow(), clock, external_id="C-9", name="Lee Wong")
        stranger = shop.stranger("Lee", username="leew", language="zh-Hans")
        reply = await stranger.say("我想取消明天的订单")  # a request
        assert (reply.text or "").startswith(
            translator("zh-Hans").format("conversation.opened.request", ticket=1)
        )
        await shop.world.settle()
        assert "Request #1" in shown(shop.alert(1)) and "@leew" in shown(shop.alert(1))

        code = create_link_code(shop.ctx.uow(), clock, customer_id=lee.id or 0, actor="slack:U1").code
        welcome = await stranger.say(f"/start {code}")
        assert translator("zh-Hans").format("start.linked", business=BUSINESS) in (welcome.text or "")
        assert customer_of(shop.ctx, stranger).id == lee.id
        assert get_ticket(shop.ctx.uow(), 1).customer_id == lee.id
        assert [m.text for m in messages_of(shop.ctx, lee.id or 0)] == ["我想取消明天的订单"]
        await shop.world.settle()
        assert "Lee Wong" in shown(shop.alert(1)) and "unknown contact" not in shown(shop.alert(1))
        clock.advance(timedelta(minutes=1))
        joined = await stranger.say("改到后天可以吗？")
        assert joined.text == translator("zh-Hans").format("conversation.joined", ticket=1)
