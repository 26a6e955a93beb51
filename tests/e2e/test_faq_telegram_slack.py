"""Answers the shop wrote, end to end: the real Telegram bot and the real Slack app on one database
and one event bus, each against its sandbox over loopback HTTP, with the café FAQ of
tests/data/faq_rules.toml as the rules file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from tests.e2e.telegram_harness import Chat, new_chat, running
from tests.support.slack_world import SlackWorld, shown, slack_world

RULES = Path(__file__).resolve().parents[1] / "data" / "faq_rules.toml"
HOURS_EN = "We're open Mon–Sat 8:00–18:00 and Sun 9:00–15:00."
PARKING_ZH_HANT = "店後有公共停車場，憑收據首小時免費。"
STALE = "This button is no longer active."


@pytest.fixture(name="world")
async def fixture_world(
    database_url: str, clock: ManualClock
) -> AsyncIterator[tuple[SlackWorld, TelegramSandbox]]:
    async with SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram:
        options = {
            "telegram_bot_token": telegram.sandbox.token,
            "telegram_api_base_url": telegram.bot_api_base_url,
            "business_name": "Tom's Café",
            "retention_config": RULES,
        }
        async with slack_world(database_url, clock, **options) as world, running(world.ctx):
            yield world, telegram.sandbox


async def double_tap(sandbox: TelegramSandbox, chat: Chat, message_id: int, label: str) -> list[str | None]:
    """Two quick taps on one button (both sent before the bot handles either): the notices."""
    taps = [sandbox.tap_button(chat.id, message_id, text=label) for _ in range(2)]
    answers = await asyncio.gather(*(sandbox.wait_for_callback_answer(q) for q in taps))
    return sorted((a.get("text") for a in answers), key=str)


async def test_a_question_gets_the_shops_answer_with_two_buttons_and_alerts_nobody(
    world: tuple[SlackWorld, TelegramSandbox],
) -> None:
    slack, sandbox = world
    ann = new_chat(sandbox, "Ann")
    await ann.join()

    answer = await ann.say("what time do you close on saturday?")
    assert answer.text == HOURS_EN
    assert answer.buttons == [["That helps", "Talk to a person"]]
    await slack.settle()
    assert slack.app_messages() == []  # the answer alone alerts nobody

    assert await double_tap(sandbox, ann, answer.message_id, "That helps") == [None, STALE]
    thanks = await ann.next()
    assert thanks.text == "Glad that helped! Write any time if there's anything else."
    await asyncio.sleep(0.2)
    assert sum("Glad that helped" in text for text in ann.messages()) == 1
    (now,) = [m for m in sandbox.transcript(ann.id) if m.message_id == answer.message_id]
    assert now.text == HOURS_EN and now.buttons == []  # the buttons are gone
    await slack.settle()
    assert slack.app_messages() == []


async def test_talk_to_a_person_opens_one_conversation_and_alerts_the_team(
    world: tuple[SlackWorld, TelegramSandbox],
) -> None:
    slack, sandbox = world
    mei = new_chat(sandbox, "Mei", language_code="zh-hant")
    await mei.join()

    answer = await mei.say("附近可以停車嗎？")
    assert answer.text == PARKING_ZH_HANT
    assert answer.buttons == [["有幫助", "找工作人員"]]

    assert await double_tap(sandbox, mei, answer.message_id, "找工作人員") == [None, "這個按鈕已失效。"]
    opened = await mei.next()
    assert opened.text is not None and "#1" in opened.text and "工作人員" in opened.text
    alert = await slack.driver.next_message(slack.channel, within=5.0)
    assert "Question #1" in shown(alert) and "附近可以停車嗎？" in shown(alert)
    assert "asked to talk to a person" in shown(alert)
    await slack.settle()
    assert len(slack.app_messages()) == 1  # one conversation, one alert

    # While the conversation is open, a question that the FAQ knows goes to the conversation instead.
    follow = await mei.say("幾點關門？")
    assert follow.text is not None and "#1" in follow.text and not follow.buttons


async def test_a_complaint_about_the_opening_hours_is_not_answered_from_the_faq(
    world: tuple[SlackWorld, TelegramSandbox],
) -> None:
    slack, sandbox = world
    bob = new_chat(sandbox, "Bob")
    await bob.join()
    reply = await bob.say(
        "You were closed at 3pm on Saturday even though your opening hours say 6. Wasted trip, so annoying!"
    )
    assert reply.text != HOURS_EN and not reply.buttons
    assert reply.text is not None and "#1" in reply.text  # a conversation with staff, as for any complaint
    alert = await slack.driver.next_message(slack.channel, within=5.0)
    assert "Complaint #1" in shown(alert)


async def test_crm_faq_lists_the_entries_with_their_counts(world: tuple[SlackWorld, TelegramSandbox]) -> None:
    slack, sandbox = world
    ann, bob = new_chat(sandbox, "Ann"), new_chat(sandbox, "Bob")
    await ann.join()
    await bob.join()
    first = await ann.say("opening hours?")
    await ann.tap("That helps", message_id=first.message_id)
    await ann.next()
    await bob.say("are you open on sunday")
    wifi = await bob.say("wifi password?")
    await bob.tap("Talk to a person", message_id=wifi.message_id)
    await bob.next()

    await slack.crm("faq")
    reply = slack.last_ephemeral()
    text = shown(reply)
    assert "The shop's FAQ (12)" in text
    assert "Answered 2 · That helps 1 · Still asked for a person 0 (0%)" in text  # hours
    assert "Answered 1 · That helps 0 · Still asked for a person 1 (100%)" in text  # wifi
    assert text.count("Answered 0 · That helps 0") == 10
    hours_at, wifi_at = text.index("*1. hours*"), text.index("*5. wifi*")
    assert hours_at < text.index("Answered 2") < wifi_at < text.index("(100%)")


async def test_crm_faq_speaks_the_staff_members_language(world: tuple[SlackWorld, TelegramSandbox]) -> None:
    slack, _ = world
    mei = slack.driver.add_user("mei", real_name="Mei Lin", locale="zh-TW", channels=[slack.channel])
    await slack.crm("faq", user=mei)
    text = shown(slack.last_ephemeral(mei))
    assert "店家常見問題（12 則）" in text and "已回答 0 次" in text
    assert "“幾點關門”" in text  # the entry's questions in the reader's script first
