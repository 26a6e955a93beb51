"""One alert per ticket when Slack is slow, does not answer, refuses, or its poster dies (issue 15): the
real Telegram bot and the real Slack app on one database, against both sandboxes over loopback HTTP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.sandbox.slack import LoopbackServer, SlackSandbox, Workspace
from bot.sandbox.telegram import FloodLimits, SandboxServer, TelegramSandbox
from bot.services.alerts import ALERT_CLAIMS, ticket_for_alert
from bot.services.inbound import claim_inbound
from bot.services.tickets import get_ticket
from bot.web import build_web_app
from handlers.slack import SlackComponent
from handlers.telegram.component import TelegramComponent
from tests.conftest import make_context
from tests.e2e.telegram_harness import FAST, Chat, customer_of, new_chat, running
from tests.support.balancer import Balancer
from tests.support.slack_world import SECRET, SlackWorld, slack_world

SLOW_POST = 4.0
COMPLAINT = "My order arrived broken and the cup is cracked. I want a refund!"
FOLLOW_UPS = ["Hello? Is anyone there?", "I am still waiting for an answer"]


def alerts_in(sandbox: SlackSandbox, channel: str) -> list[dict[str, Any]]:
    """The app's top-level messages in the team channel."""
    bot = sandbox.state.ws.bot_id
    return [m for m in sandbox.driver.messages(channel) if m.get("bot_id") == bot]


def thread_lines(sandbox: SlackSandbox, channel: str, ts: str) -> list[str]:
    return [m["text"] for m in sandbox.driver.messages(channel, thread_ts=ts)[1:]]


async def complain_and_follow_up(ann: Chat) -> None:
    """The complaint, then two more messages as soon as the bot has answered the one before."""
    opened = await ann.say(COMPLAINT)
    assert opened.text is not None and "#1" in opened.text
    for text in FOLLOW_UPS:
        added = await ann.say(text)
        assert added.text is not None and "#1" in added.text


async def one_alert_with_the_follow_ups(sandbox: SlackSandbox, channel: str, *, within: float) -> None:
    """Wait for the alert and both follow-ups in its thread; then nothing more may come."""
    alert = await sandbox.driver.next_message(channel, within=within)
    with contextlib.suppress(TimeoutError):  # the assertions below say what came instead
        await sandbox.driver.wait_for(
            lambda: len(thread_lines(sandbox, channel, alert["ts"])) >= len(FOLLOW_UPS) or None,
            within=within + 2 * SLOW_POST,
        )
    await asyncio.sleep(SLOW_POST)  # a second alert, or a line posted twice, would have landed by now

    alerts = [(m["ts"], thread_lines(sandbox, channel, m["ts"])) for m in alerts_in(sandbox, channel)]
    assert len(alerts) == 1, alerts
    [(_, lines)] = alerts
    assert len(lines) == len(FOLLOW_UPS), lines
    assert all(text in line for text, line in zip(FOLLOW_UPS, lines, strict=True)), lines


# --- two instances behind one load balancer ------------------------------------------------


@asynccontextmanager
async def instance(database_url: str, clock: ManualClock, **settings: Any) -> AsyncIterator[str]:
    """One `retention-bot run` (Telegram in webhook mode, Slack in HTTP mode) on its own HTTP server:
    its URL."""
    ctx = make_context(database_url, clock, **settings)
    telegram, slack = TelegramComponent(ctx, FAST), SlackComponent(ctx)
    try:
        async with LoopbackServer(build_web_app(ctx, [*telegram.routes, *slack.routes], {})) as web:
            await slack.start()
            await telegram.start()
            try:
                yield web.url
            finally:
                await telegram.stop()
                await slack.stop()
    finally:
        ctx.close()


async def test_with_slack_slow_a_complaint_and_follow_ups_on_two_instances_make_one_alert_threading_them_all(
    database_url: str, clock: ManualClock
) -> None:
    balancer = Balancer()
    async with (
        SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram,
        SlackSandbox(Workspace(signing_secret=SECRET)) as slack,
        LoopbackServer(balancer.app) as front,
        AsyncExitStack() as stack,
    ):
        channel = slack.driver.add_channel("retention-team")
        settings: dict[str, Any] = {
            "telegram_bot_token": telegram.sandbox.token,
            "telegram_api_base_url": telegram.bot_api_base_url,
            "telegram_webhook_url": f"{front.url}/telegram/updates",
            "telegram_webhook_secret": "webhook-secret",
            "slack_bot_token": slack.state.ws.bot_token,
            "slack_signing_secret": SECRET,
            "slack_api_base_url": slack.api_url,
            "slack_team_channel": channel,
        }
        a = await stack.enter_async_context(instance(database_url, clock, **settings))
        b = await stack.enter_async_context(instance(database_url, clock, **settings))
        slack.driver.connect_app(f"{front.url}/slack/events")
        ann = new_chat(telegram.sandbox, "Ann")
        balancer.rotate(a)
        await ann.join()
        slack.driver.set_delay("chat.postMessage", SLOW_POST)

        # The complaint reaches A, which posts the alert; both follow-ups reach B while it is in flight.
        balancer.rotate(a, b, b)
        await complain_and_follow_up(ann)

        await one_alert_with_the_follow_ups(slack, channel, within=SLOW_POST + 2)


# --- one instance, the post times out on the client side ------------------------------------


@asynccontextmanager
async def both_bots(database_url: str, clock: ManualClock) -> AsyncIterator[tuple[SlackWorld, Chat]]:
    async with SandboxServer(TelegramSandbox(flood_limits=FloodLimits.unlimited())) as telegram:
        options: dict[str, Any] = {
            "telegram_bot_token": telegram.sandbox.token,
            "telegram_api_base_url": telegram.bot_api_base_url,
        }
        async with slack_world(database_url, clock, **options) as world, running(world.ctx):
            ann = new_chat(telegram.sandbox, "Ann")
            await ann.join()
            yield world, ann


@pytest.mark.parametrize("acts_first", [True, False], ids=["answer-late", "act-late"])
async def test_an_alert_post_that_times_out_on_the_client_still_makes_one_alert_threading_the_follow_ups(
    sqlite_url: str, clock: ManualClock, acts_first: bool
) -> None:
    async with both_bots(sqlite_url, clock) as (world, ann):
        # slack_sdk waits 30 s by default; a shorter wait gives the same "no answer" in a test's time.
        world.component.app.client.timeout = 1
        world.driver.set_delay("chat.postMessage", SLOW_POST - 1, acts_first=acts_first)

        await complain_and_follow_up(ann)

        await one_alert_with_the_follow_ups(world.sandbox, world.channel, within=SLOW_POST + 10)


async def test_a_post_slack_refuses_is_tried_again_from_the_outbox_and_its_thread_line_follows_it(
    sqlite_url: str, clock: ManualClock
) -> None:
    async with both_bots(sqlite_url, clock) as (world, ann):
        bot_user = world.sandbox.state.ws.bot_user_id
        # The app is not in the channel: Slack answers not_in_channel, certainly not posted. (A 429
        # is no refusal: the client waits out Retry-After and posts, SPEC §7.)
        world.driver.remove(world.channel, bot_user)

        opened = await ann.say(COMPLAINT)
        assert opened.text is not None and "#1" in opened.text
        await world.settle()
        assert alerts_in(world.sandbox, world.channel) == []
        added = await ann.say(FOLLOW_UPS[0])  # waits behind the alert, in order
        assert added.text is not None and "#1" in added.text

        world.driver.join(world.channel, bot_user)  # /invite @retention-bot
        # The outbox tries again after 1, 2, 4 … s: the alert, then its thread line.
        alert = await world.driver.next_message(world.channel, within=10)
        await world.driver.wait_for(
            lambda: thread_lines(world.sandbox, world.channel, alert["ts"]) or None, within=5
        )
        await world.settle()

        assert [m["ts"] for m in alerts_in(world.sandbox, world.channel)] == [alert["ts"]]
        [line] = thread_lines(world.sandbox, world.channel, alert["ts"])
        assert "Complaint #1" in str(alert["blocks"]) and FOLLOW_UPS[0] in line


# --- a poster that died holding the claim --------------------------------------------------


@pytest.mark.parametrize("its_post_landed", [True, False], ids=["landed", "lost"])
async def test_a_claim_left_by_a_poster_that_died_is_taken_over_and_its_alert_posted_once(
    sqlite_url: str, clock: ManualClock, its_post_landed: bool
) -> None:
    async with both_bots(sqlite_url, clock) as (world, ann):
        ctx = world.ctx
        customer = customer_of(ctx, ann)
        assert customer.id is not None
        # Another process opened the ticket, claimed its alert, maybe posted it, and was killed.
        ticket, _ = ticket_for_alert(
            ctx.uow(), clock, customer_id=customer.id, source="feedback", text=COMPLAINT
        )
        assert claim_inbound(ctx.uow(), platform=ALERT_CLAIMS, key=f"ticket:{ticket.id}", now=clock.now())
        if its_post_landed:
            what_it_carries = {  # the alert's message metadata (docs/decisions.md)
                "event_type": "retention_alert",
                "event_payload": {"ticket_id": ticket.id, "opened_at": ticket.opened_at.isoformat()},
            }
            await world.component.app.client.chat_postMessage(
                channel=world.channel, text="Complaint #1", metadata=what_it_carries
            )
        clock.advance(timedelta(minutes=10))  # its lease has run out

        added = await ann.say(FOLLOW_UPS[0])
        assert added.text is not None and "#1" in added.text
        await world.settle()

        [alert] = alerts_in(world.sandbox, world.channel)
        [line] = thread_lines(world.sandbox, world.channel, alert["ts"])
        assert FOLLOW_UPS[0] in line
        assert get_ticket(ctx.uow(), ticket.id or 0).slack_ts == alert["ts"]
