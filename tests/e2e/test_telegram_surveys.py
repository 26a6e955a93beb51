"""The NPS survey as a chat: buttons or typed scores, the reason, the thank-you and reward, alerts to
Slack as events, expiry, the one reminder, CSAT after a resolved ticket, and a restart midway."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import DetractorAnswered, SurveyCommented
from bot.sandbox.telegram import MessageView, SandboxServer
from bot.services.campaigns import start_campaign
from bot.services.loyalty import current_balance
from bot.services.tickets import resolve_ticket
from handlers.telegram.component import TelegramComponent
from storage.models import SurveyDispatch, SurveyResponse
from tests.e2e.telegram_harness import (  # noqa: F401
    Chat,
    customer_of,
    fixture_tg_bot,
    fixture_tg_ctx,
    fixture_tg_server,
    new_chat,
    running,
)

QUESTION = (
    "How likely are you to recommend Tom's Café & Co to a friend or colleague? "
    "Tap a number from 0 (not at all likely) to 10 (extremely likely)."
)
REASON = (
    "Thank you! What is the main reason for your score? "
    "Just type it here, or send /skip to skip this question."
)


async def surveyed(bot: TelegramComponent, chat: Chat) -> MessageView:
    """Staff send this customer an NPS survey; the question as the customer sees it once it is sent."""
    ctx = bot.ctx
    customer_id = customer_of(ctx, chat).id
    started = start_campaign(ctx.uow(), ctx.clock, ctx.rules, started_by="slack:U1", customer_id=customer_id)
    await bot.send(started.campaign_id)
    return await chat.next()


def scores(ctx: AppContext) -> dict[int, tuple[int, str | None]]:
    with ctx.uow() as uow:
        rows = uow.session.exec(select(SurveyResponse).order_by(col(SurveyResponse.id))).all()
        return {r.customer_id: (r.score, r.comment) for r in rows}


async def test_a_tapped_score_then_a_reason_ends_with_thanks_and_the_reward_once(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = new_chat(tg_server.sandbox)
    await ann.join()
    question = await surveyed(tg_bot, ann)
    assert question.text == QUESTION
    assert question.buttons == [["0", "1", "2", "3", "4", "5"], ["6", "7", "8", "9", "10"]]
    await ann.tap("9")
    assert (await ann.next()).text == REASON
    spent = tg_server.sandbox.bot_messages(ann.id)[-2]
    assert spent.message_id == question.message_id and spent.reply_markup is None
    thanks = await ann.say("Friendly staff & <great> coffee")
    assert thanks.text == (
        "Thank you so much! We're delighted you'd recommend Tom's Café & Co.\n\n"
        "As a thank-you, we've added 20 points to your balance."
    )
    customer = customer_of(tg_ctx, ann)
    assert scores(tg_ctx) == {customer.id: (9, "Friendly staff & <great> coffee")}
    assert current_balance(tg_ctx.uow(), tg_ctx.clock, customer.id or 0).spendable == 20


async def test_every_typed_form_of_a_score_counts_and_anything_else_is_asked_again(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    forms = {
        "9": 9,
        "9/10": 9,
        "nine": 9,
        "I'd say 8": 8,
        "10!": 10,
        "９": 9,
        "九": 9,
        "十": 10,
        "Honestly, I would give you a 7 today": 7,
    }
    chats = {}
    for number, form in enumerate(forms):
        chat = new_chat(tg_server.sandbox, f"Guest{number}")
        await chat.join()
        chats[form] = chat
    await tg_ctx.call(start_campaign, tg_ctx.clock, tg_ctx.rules, started_by="slack:U1", segment="all")
    for form, chat in chats.items():
        assert (await chat.next()).text == QUESTION
        assert (await chat.say(form)).text == REASON, form
    answered = scores(tg_ctx)
    assert {form: answered[customer_of(tg_ctx, chat).id or 0][0] for form, chat in chats.items()} == forms

    doubter = new_chat(tg_server.sandbox, "Dee")
    await doubter.join()
    await surveyed(tg_bot, doubter)
    reask = await doubter.say("hmm, between 7 and 8?")
    assert (
        reask.text == "Sorry, I didn't catch that. Please tap a number or type a whole number from 0 to 10."
    )
    assert reask.buttons[1] == ["6", "7", "8", "9", "10"]
    assert (await doubter.say("8")).text == REASON


async def test_a_detractor_alerts_at_once_and_updates_with_the_reason(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    seen: list[object] = []

    async def collect(event: object) -> None:
        seen.append(event)

    tg_ctx.bus.subscribe(DetractorAnswered, collect, destination="telegram")
    tg_ctx.bus.subscribe(SurveyCommented, collect, destination="telegram")
    ben = new_chat(tg_server.sandbox, "Ben")
    await ben.join()
    await surveyed(tg_bot, ben)
    await ben.tap("3")
    await ben.next()
    await tg_ctx.outbox.drain()
    assert [type(e) for e in seen] == [DetractorAnswered]
    thanks = await ben.say("The delivery was late twice")
    assert thanks.text is not None and thanks.text.startswith("Thank you for being honest with us")
    await tg_ctx.outbox.drain()
    assert [type(e) for e in seen] == [DetractorAnswered, SurveyCommented]
    commented = seen[1]
    assert isinstance(commented, SurveyCommented) and commented.comment == "The delivery was late twice"


async def test_skip_ends_the_survey_without_a_reason(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    cat = new_chat(tg_server.sandbox, "Cat")
    await cat.join()
    await surveyed(tg_bot, cat)
    await cat.say("7")
    skipped = await cat.say("/skip")
    assert skipped.text is not None and skipped.text.startswith(
        "Thank you for your feedback! We'll keep working"
    )
    assert (await cat.say("/skip")).text == "There's no survey question waiting for your answer right now."
    assert scores(tg_ctx) == {customer_of(tg_ctx, cat).id: (7, None)}


async def test_a_button_of_an_answered_or_expired_survey_answers_with_a_notice(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext, clock: ManualClock
) -> None:
    sandbox = tg_server.sandbox
    ann, bob = new_chat(sandbox, "Ann"), new_chat(sandbox, "Bob")
    for chat in (ann, bob):
        await chat.join()
    answered = await surveyed(tg_bot, ann)
    first = sandbox.tap_button(ann.id, answered.message_id, text="10")
    second = sandbox.tap_button(ann.id, answered.message_id, text="2")  # before the buttons are gone
    assert (await sandbox.wait_for_callback_answer(first))["text"] is None
    assert (await sandbox.wait_for_callback_answer(second))["text"] == "This button is no longer active."
    assert scores(tg_ctx)[customer_of(tg_ctx, ann).id or 0] == (10, None)
    old = await surveyed(tg_bot, bob)
    clock.advance(timedelta(days=8))
    notice = await bob.tap("9", message_id=old.message_id)
    assert notice["text"] == "Sorry, this survey has closed. Thank you anyway!"
    late = await bob.say("9")  # no survey waits any more: this is just a message
    assert late.text == "Thank you for your message — we've noted it."


async def test_an_unanswered_survey_gets_one_reminder_and_then_expires(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext, clock: ManualClock
) -> None:
    ann = new_chat(tg_server.sandbox)
    await ann.join()
    await surveyed(tg_bot, ann)
    clock.advance(timedelta(hours=47))
    await tg_bot.tick()
    clock.advance(timedelta(hours=2))
    await tg_bot.tick()
    reminder = await ann.next()
    assert reminder.text == (
        "A quick reminder: we'd love to know how likely you are to recommend Tom's Café & Co. "
        "It only takes one tap."
    )
    assert reminder.buttons[0] == ["0", "1", "2", "3", "4", "5"]
    clock.advance(timedelta(days=3))
    await tg_bot.tick()
    clock.advance(timedelta(days=3))
    await tg_bot.tick()
    with tg_ctx.uow() as uow:
        (dispatch,) = uow.session.exec(select(SurveyDispatch)).all()
    assert dispatch.status == "expired" and dispatch.reminded_at is not None
    assert len(tg_server.sandbox.bot_messages(ann.id)) == 4  # greeting, linked, question, one reminder


async def test_resolving_a_ticket_asks_one_csat_question_and_a_typed_rating_counts(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = new_chat(tg_server.sandbox)
    await ann.join()
    opened = await ann.say("My order arrived broken and nobody answers the phone!")
    assert opened.text == "Thank you for your message — we've noted it."  # no Slack: no promise
    await tg_ctx.call(resolve_ticket, tg_ctx.clock, ticket_id=1, actor="slack:U1")
    csat = await ann.next()
    assert csat.text == (
        "Your request #1 has been resolved.\n\n"
        "How satisfied are you with how we handled your request? "
        "Tap 1 (very dissatisfied) to 5 (very satisfied)."
    )
    assert csat.buttons == [["1", "2", "3", "4", "5"]]
    assert (await ann.say("0")).text == (
        "Sorry, I didn't catch that. Please tap a number or type a whole number from 1 to 5."
    )
    assert (await ann.say("4 out of 5")).text == "Thank you for your rating!"
    assert scores(tg_ctx) == {customer_of(tg_ctx, ann).id: (4, None)}


async def test_a_survey_continues_after_the_bot_restarts(
    tg_server: SandboxServer, tg_ctx: AppContext
) -> None:
    ann = new_chat(tg_server.sandbox)
    async with running(tg_ctx) as first_bot:
        await ann.join()
        await surveyed(first_bot, ann)
        await ann.tap("4")
        assert (await ann.next()).text == REASON
    async with running(tg_ctx):  # a new Application, a new process as far as state goes
        thanks = await ann.say("Too slow at lunchtime")
    assert thanks.text is not None and thanks.text.startswith("Thank you for being honest with us")
    assert scores(tg_ctx) == {customer_of(tg_ctx, ann).id: (4, "Too slow at lunchtime")}
