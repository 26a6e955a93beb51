"""Messages to the customer come from the outbox (SPEC §7): when Telegram fails, a staff reply and a
resolved ticket's CSAT question are sent again and arrive once; a 429 delays them by its retry_after,
never drops them. The real TelegramComponent against the Telegram sandbox, which answers as the Bot
API does (500 Internal Server Error, 502 from its front proxy, 429 with retry_after)."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.outbox import OutboxSender, RetryPolicy
from bot.sandbox.telegram import SandboxServer
from bot.services.staff import ensure_staff
from bot.services.tickets import reply_to_customer, resolve_ticket
from handlers.telegram.application import TelegramOptions
from storage.models import Ticket
from tests.e2e.telegram_harness import (  # noqa: F401
    Chat,
    customer_of,
    fixture_tg_ctx,
    fixture_tg_server,
    new_chat,
    running,
)

QUICK = RetryPolicy(first_delay=0.2)
"""Retries after 0.2, 0.4 … s instead of 1, 2 … s: the same schedule, in a test's time."""
NO_PTB_RETRIES = TelegramOptions(tick_seconds=None, poll_timeout=5, max_retries=0)
"""python-telegram-bot's rate limiter hands a 429 straight back (it waits out five itself by default)."""


async def staff_reply(ctx: AppContext, chat: Chat, text: str) -> None:
    sam = ensure_staff(ctx.uow(), ctx.clock, slack_user_id="U1", name="Sam", admin_ids={"U1"})
    await ctx.call(
        reply_to_customer,
        ctx.clock,
        customer_id=customer_of(ctx, chat).id or 0,
        ticket_id=None,
        staff_id=sam.id or 0,
        staff_name="Sam",
        text=text,
        source_event_id=f"slack:{text}",
    )


def received(chat: Chat, text: str) -> int:
    return sum(text in line for line in chat.messages())


async def test_a_staff_reply_telegram_fails_to_take_is_sent_again_and_arrives_once(
    tg_server: SandboxServer, tg_ctx: AppContext
) -> None:
    sandbox = tg_server.sandbox
    tg_ctx.outbox = OutboxSender(tg_ctx, policy=QUICK)  # type: ignore[misc]
    async with running(tg_ctx):
        ann = new_chat(sandbox, "Ann")
        await ann.join()
        sandbox.fail("sendMessage", code=500, times=2)  # the Bot API fails, twice
        await staff_reply(tg_ctx, ann, "Your new cup ships today")
        reply = await ann.next(timeout=10)
        assert reply.text is not None and "Your new cup ships today" in reply.text
        sandbox.fail("sendMessage", code=502, times=1)  # then its front proxy, once
        await staff_reply(tg_ctx, ann, "Tracking number 42")
        await ann.next(timeout=10)
        await tg_ctx.outbox.drain()
    assert sandbox.stats.errors[500] == 2 and sandbox.stats.errors[502] == 1
    assert received(ann, "Your new cup ships today") == 1 and received(ann, "Tracking number 42") == 1


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # its RetryAfter(int)
async def test_a_429_delays_a_staff_reply_by_its_retry_after_and_never_drops_it(
    tg_server: SandboxServer, tg_ctx: AppContext
) -> None:
    sandbox = tg_server.sandbox
    async with running(tg_ctx, NO_PTB_RETRIES):
        ann = new_chat(sandbox, "Ann")
        await ann.join()
        sandbox.fail("sendMessage", code=429, retry_after=1, times=2)
        began = time.monotonic()
        await staff_reply(tg_ctx, ann, "Thanks for waiting")
        reply = await ann.next(timeout=10)
        waited = time.monotonic() - began
        await tg_ctx.outbox.drain()
    assert reply.text is not None and "Thanks for waiting" in reply.text
    assert waited >= 2.0  # two refusals, each waited out for its retry_after
    assert sandbox.stats.errors[429] == 2 and received(ann, "Thanks for waiting") == 1


async def test_a_resolved_tickets_csat_question_telegram_refused_is_asked_once_when_it_recovers(
    tg_server: SandboxServer, tg_ctx: AppContext, clock: ManualClock
) -> None:
    sandbox = tg_server.sandbox
    tg_ctx.outbox = OutboxSender(tg_ctx, policy=QUICK)  # type: ignore[misc]
    async with running(tg_ctx):
        ann = new_chat(sandbox, "Ann")
        await ann.join()
        opened = await ann.say("My order arrived broken and I want a refund!")
        assert opened.text is not None  # noted (no Slack here: the ack promises no answer, no #1)
        with tg_ctx.uow() as uow:
            [ticket] = uow.session.exec(select(Ticket)).all()
        sandbox.fail("sendMessage", code=500, times=1)
        await tg_ctx.call(resolve_ticket, clock, ticket_id=ticket.id or 0, actor="slack:U1")
        question = await ann.next(timeout=10)
        await tg_ctx.outbox.drain()
    assert question.text is not None and "#1" in question.text
    assert question.buttons and question.buttons[0][0] == "1"  # the 1–5 CSAT buttons came along
    assert sandbox.stats.errors[500] == 1 and len(ann.messages()) == len(set(ann.messages()))
