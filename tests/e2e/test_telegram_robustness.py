"""Hostile and unlucky input: replayed updates, blocked customers, huge messages, control characters,
markup in names, SQL in text. Each gets a clear reply (or nothing, for a replay) and changes nothing else."""

from __future__ import annotations

from sqlmodel import select
from telegram import Update

from bot.context import AppContext
from bot.events import StaffReplied
from bot.sandbox.telegram import SandboxServer
from bot.sandbox.telegram.objects import member_update_json
from bot.sandbox.telegram.state import PendingUpdate
from bot.services.campaigns import start_campaign
from bot.services.outbox import record_events
from handlers.telegram.component import TelegramComponent
from storage.models import Ticket
from tests.e2e.telegram_harness import (  # noqa: F401
    Chat,
    customer_of,
    fixture_tg_bot,
    fixture_tg_ctx,
    fixture_tg_db_bot,
    fixture_tg_db_ctx,
    fixture_tg_server,
    inbound_texts,
    new_chat,
    running,
)


async def test_a_replayed_update_is_not_handled_twice(
    tg_server: SandboxServer, tg_db_ctx: AppContext
) -> None:
    sandbox = tg_server.sandbox
    ann = new_chat(sandbox)
    async with running(tg_db_ctx):
        await ann.join()
        sent = sandbox.push_text(ann.id, "/feedback The muffins were lovely")
        update_id = sandbox.state.next_update_id - 1
        assert (await ann.next()).text == "Thank you for your kind words — they made our day!"
    with sandbox.state.lock:  # Telegram delivers it again, as after a crash before the offset was confirmed
        sandbox.state.updates.insert(0, PendingUpdate(update_id, "message", sent))
    sandbox.state.changed()
    async with running(tg_db_ctx):
        after = await ann.say("/help")
    assert after.text is not None and after.text.startswith("Here's what I can do:")
    assert inbound_texts(tg_db_ctx, customer_of(tg_db_ctx, ann).id).count("The muffins were lovely") == 1


async def test_a_blocked_customer_is_marked_unreachable_and_gets_nothing_more(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    sandbox = tg_server.sandbox
    ann = new_chat(sandbox)
    await ann.join()
    customer = customer_of(tg_ctx, ann)
    assert customer.id is not None
    with sandbox.state.lock:  # blocked, and the bot has not heard of it yet
        sandbox.state.chats[ann.id].blocked = True
    reply = StaffReplied(
        customer_id=customer.id, ticket_id=None, interaction_id=0, text="Hi!", staff_name="Sam"
    )
    await tg_ctx.call(record_events, [reply])
    await tg_ctx.outbox.drain()
    assert sandbox.stats.errors[403] == 1
    assert customer_of(tg_ctx, ann).unreachable
    sends = sandbox.stats.requests["sendMessage"]
    await tg_ctx.call(record_events, [reply])
    await tg_ctx.outbox.drain()
    summary = start_campaign(tg_ctx.uow(), tg_ctx.clock, tg_ctx.rules, started_by="test", segment="all")
    await tg_bot.send(summary.campaign_id)
    assert sandbox.stats.requests["sendMessage"] == sends
    assert summary.skipped == {"unreachable": 1}
    back = await ann.say("/help")  # writing again unblocks the bot
    assert back.text is not None and not customer_of(tg_ctx, ann).unreachable


async def test_blocking_the_bot_marks_the_customer_unreachable_and_restarting_undoes_it(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    sandbox = tg_server.sandbox
    ann = new_chat(sandbox)
    await ann.join()
    application = tg_bot.application
    for update_id, (old, new) in enumerate((("member", "kicked"), ("kicked", "member")), start=10_000):
        change = member_update_json(sandbox.state, sandbox.user(ann.id), old, new)
        await application.process_update(
            Update.de_json({"update_id": update_id, "my_chat_member": change}, application.bot)
        )
        assert customer_of(tg_ctx, ann).unreachable is (new == "kicked")


async def test_a_10000_character_complaint_is_split_by_the_client_and_answered_for_each_part(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = new_chat(tg_server.sandbox)
    await ann.join()
    rant = ("This is terrible service and I want a refund. " * 220)[:10_000]
    first = await ann.say(rant)
    assert first.text == "Thank you for your message — we've noted it."  # no Slack: no promise
    assert (await ann.next()).text == "Thank you for your message — we've noted it."
    assert (await ann.next()).text == "Thank you for your message — we've noted it."
    stored = inbound_texts(tg_ctx, customer_of(tg_ctx, ann).id)
    assert [len(text) for text in stored] == [4000, 4000, 1807]  # feedback keeps 4000 a message
    with tg_ctx.uow() as uow:
        (ticket,) = uow.session.exec(select(Ticket)).all()
    assert len(ticket.text) == 4000


async def test_control_characters_emoji_and_sql_are_stored_as_plain_text(
    tg_server: SandboxServer, tg_db_bot: TelegramComponent, tg_db_ctx: AppContext
) -> None:
    ann = new_chat(tg_server.sandbox)
    await ann.join()
    reply = await ann.say("Nice \x00shop\x07 \x1b[31m😀\u200d🙂'); DROP TABLE customer; --")
    assert reply.text == "Thank you for your kind words — they made our day!"
    assert inbound_texts(tg_db_ctx, customer_of(tg_db_ctx, ann).id)[-1] == (
        "Nice shop [31m😀\u200d🙂'); DROP TABLE customer; --"
    )
    assert (await ann.say("/points")).text is not None  # the customer table is still there


async def test_a_customer_named_like_markup_gets_the_same_messages_as_anyone(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    async def conversation(chat: Chat) -> list[str]:
        await chat.join()
        for text in ("/points", "/rewards", "/help", "/feedback *Thanks* _a lot_ <3", "/language"):
            await chat.say(text)
        return [m.text or "" for m in tg_server.sandbox.bot_messages(chat.id)]

    tom = new_chat(tg_server.sandbox, "<b>Tom & Jerry_</b>")
    ann = new_chat(tg_server.sandbox, "*Ann*")
    assert await conversation(tom) == await conversation(ann)
    assert customer_of(tg_ctx, tom).name == "<b>Tom & Jerry_</b>"
    assert all(not m.warnings for m in tg_server.sandbox.bot_messages(tom.id))
