"""Staff messages in an alert's thread: internal notes (never sent), or with SLACK_THREAD_RELAY=all,
replies to the customer. Each Events API delivery is claimed by its event_id together with its
effect, so Slack's retries (X-Slack-Retry-Num) change nothing.

Slack is answered once the effect is committed (or after `ACK_BUDGET`, for a slow one, which then
finishes in the background): a process that dies before the commit leaves the event unanswered,
and Slack's retry does it then."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.faults import crash_point
from bot.services.staff_actions import thread_message
from bot.services.tickets import ticket_for_thread
from handlers.slack.args import clean_input
from handlers.slack.deps import SlackDeps, actor
from handlers.slack.notify import notify_user
from handlers.slack.replies import answering

log = logging.getLogger(__name__)

ACK_BUDGET: Final = 2.0
"""Seconds the answer to Slack waits for the message's effect (Slack wants one within 3 s)."""
STAFF_SUBTYPES = (None, "thread_broadcast")
"""Edits, deletions, joins and bot messages are not something a person said in the thread."""


def is_staff_thread_reply(event: dict[str, Any]) -> bool:
    thread_ts = event.get("thread_ts")
    return (
        event.get("subtype") in STAFF_SUBTYPES
        and not event.get("bot_id")
        and bool(event.get("user"))
        and bool(thread_ts)
        and thread_ts != event.get("ts")
        and bool(clean_input(event.get("text") or ""))
    )


def register(app: AsyncApp, deps: SlackDeps) -> None:
    async def on_message(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        if is_staff_thread_reply(event):
            key = f"event:{body.get('event_id') or event.get('client_msg_id') or event['ts']}"
            task = deps.background.spawn(_handle(deps, client, event, key), name="thread-message")
            await asyncio.wait({task}, timeout=ACK_BUDGET)

    app.event("message")(on_message)


async def _handle(deps: SlackDeps, client: AsyncWebClient, event: dict[str, Any], key: str) -> None:
    ctx = deps.ctx
    channel, user_id = str(event["channel"]), str(event["user"])
    ticket = await ctx.call(ticket_for_thread, channel, str(event["thread_ts"]))
    if ticket is None:
        return  # an ordinary thread, not an alert's
    person, t = await deps.person(client, user_id)

    async def tell(text: str) -> None:
        await notify_user(client, user_id, channel, text)

    async def run() -> None:
        staff = await deps.staff(person)
        assert staff.id is not None
        crash_point("slack.thread")  # a test seam (bot/faults.py): received, nothing committed
        outcome = await ctx.call(
            thread_message,
            ctx.clock,
            key=key,
            ticket=ticket,
            staff_id=staff.id,
            staff_name=person.name,
            text=clean_input(str(event["text"])),
            relay_all=ctx.settings.slack_thread_relay == "all",
            actor=actor(user_id),
        )
        if outcome.result == "noted_unreachable":
            await tell(t.format("slack.thread.not_sent"))

    await answering(tell, t, run(), what="thread message")
