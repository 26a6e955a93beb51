"""Slack messages about erased customers, edited to "erased" (SPEC §10).

The erasure queues the messages in the database (bot/services/slack_erasures.py) in its own
transaction; this worker edits them: the alert and every reply the app posted in its thread become
"erased" (chat.update), and the authors of the other replies (staff notes: Slack lets no app edit a
person's message) get one DM each asking them to delete theirs, with a link to the thread. It runs at
start (a restart finishes what an earlier run or the CLI left), when an erasure in this process
wakes it (CustomerErased), and every POLL_SECONDS for erasures made elsewhere (the CLI, another
instance). Rate limits and dropped connections are waited out by the client factory's retry
handlers; anything else is tried again later on the queue's schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import CustomerErased, EventBus
from bot.services.digest_mentions import erased_mentions, forget_mentions
from bot.services.slack_erasures import (
    DIGEST,
    MESSAGE,
    ErasureTask,
    claim_slack_erasures,
    finish_slack_erasure,
    retry_slack_erasure,
)
from handlers.slack import digest_redaction as redaction
from handlers.slack.deps import SlackDeps
from handlers.slack.notify import api_error, slack_fix

log = logging.getLogger(__name__)

POLL_SECONDS: Final = 60.0
LEASE: Final = timedelta(minutes=5)
"""A claimed message is left to its worker this long (a thread of a few hundred replies takes seconds)."""
GONE: Final = frozenset({"message_not_found", "thread_not_found", "channel_not_found"})
"""Nothing left to edit: the message (or its channel) was deleted."""
PEOPLE_SUBTYPES: Final = (None, "thread_broadcast")
PAGE: Final = 200


@dataclass(frozen=True)
class ErasureRun:
    edited: int = 0
    """Messages of the app edited to "erased"."""
    asked: int = 0
    """Authors asked (by DM) to delete their own messages."""
    done: int = 0
    """Queued messages finished (edited, or found deleted)."""
    waiting: int = 0
    """Queued messages that failed this time and will be tried again."""


class SlackEraser:
    def __init__(self, deps: SlackDeps, client: AsyncWebClient, *, poll: float = POLL_SECONDS) -> None:
        self.deps = deps
        self.client = client
        self.poll = poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._me: tuple[str | None, str | None] | None = None
        self._bus: EventBus | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, bus: EventBus) -> None:
        self._bus = bus
        bus.subscribe(CustomerErased, self.on_erased)
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="slack-erasure")

    async def stop(self) -> None:
        if self._bus is not None:
            self._bus.unsubscribe(CustomerErased, self.on_erased)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def on_erased(self, event: CustomerErased) -> None:
        if event.slack_messages:
            self._wake.set()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_due()
            except Exception:  # the loop must outlive one bad pass; the rows wait for the next
                log.exception("editing Slack messages of erased customers failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll)

    # --- the work ----------------------------------------------------------------------------
    async def run_due(self) -> ErasureRun:
        """Work through every queued message that is due now."""
        ctx = self.deps.ctx
        total = ErasureRun()
        while tasks := await ctx.call(claim_slack_erasures, ctx.clock, lease=LEASE):
            for task in tasks:
                run = await self._one(task)
                total = ErasureRun(
                    total.edited + run.edited,
                    total.asked + run.asked,
                    total.done + run.done,
                    total.waiting + run.waiting,
                )
        return total

    async def _one(self, task: ErasureTask) -> ErasureRun:
        ctx = self.deps.ctx
        try:
            edited, asked = await self._erase(task)
        except SlackApiError as exc:
            error = api_error(exc)
            if error in GONE:
                log.info("erasure: Slack message %s in %s is gone (%s)", task.ts, task.channel, error)
                await ctx.call(finish_slack_erasure, ctx.clock, task.id)
                return ErasureRun(done=1)
            return await self._failed(task, error, slack_fix(error))
        except (aiohttp.ClientError, TimeoutError) as exc:
            return await self._failed(task, type(exc).__name__, None)
        await ctx.call(finish_slack_erasure, ctx.clock, task.id)
        log.info("erasure: Slack message %s in %s edited (%d of the app's, %d people asked)", task.ts,
                 task.channel, edited, asked)  # fmt: skip
        return ErasureRun(edited=edited, asked=asked, done=1)

    async def _failed(self, task: ErasureTask, error: str, fix: str | None) -> ErasureRun:
        ctx = self.deps.ctx
        again = await ctx.call(retry_slack_erasure, ctx.clock, task.id, error)
        how = "will try again" if again else "gave up after the last try"
        log.log(
            logging.WARNING if again else logging.ERROR,
            "erasure: could not edit Slack message %s in %s (%s)%s; %s",
            task.ts,
            task.channel,
            error,
            f": {fix}" if fix else "",
            how,
        )
        return ErasureRun(waiting=1 if again else 0)

    async def _erase(self, task: ErasureTask) -> tuple[int, int]:
        """Edit the app's messages of the task to "erased"; ask the other authors to delete theirs."""
        if task.scope == DIGEST:
            return await self._redact_digest(task), 0
        bot_id, bot_user = await self._identity()
        t = self.deps.team_t
        text = t.format("slack.erased")
        blocks = [{"type": "section", "block_id": "erased", "text": {"type": "mrkdwn", "text": f"_{text}_"}}]
        edited, authors = 0, []
        for message in await self._messages(task):
            own = (bot_id is not None and message.get("bot_id") == bot_id) or (
                bot_user is not None and message.get("user") == bot_user
            )
            if own:
                if message.get("text") == text and message.get("blocks") == blocks:
                    continue  # edited by an earlier try
                await self.client.chat_update(
                    channel=task.channel, ts=str(message["ts"]), text=text, blocks=blocks, attachments=[]
                )
                edited += 1
            elif (
                message.get("user")
                and not message.get("bot_id")
                and message.get("subtype") in PEOPLE_SUBTYPES
            ) and message["user"] not in authors:
                authors.append(str(message["user"]))
        if authors:
            found = await self.client.chat_getPermalink(channel=task.channel, message_ts=task.ts)
            link = str(found.get("permalink") or "")
            for user in authors:
                _person, their_t = await self.deps.person(self.client, user)
                await self.client.chat_postMessage(
                    channel=user, text=their_t.format("slack.erased.delete_yours", link=link)
                )
        return edited, len(authors)

    async def _redact_digest(self, task: ErasureTask) -> int:
        """Replace the erased customers' blocks and lines in a digest message and its "see all"
        thread (the app's messages only); the rest of the digest stays as it was."""
        ctx = self.deps.ctx
        erased = await ctx.call(erased_mentions, channel=task.channel, ts=task.ts)
        if not erased:
            return 0
        bot_id, bot_user = await self._identity()
        text = self.deps.team_t.format("slack.digest.erased_customer")
        edited = 0
        for message in await self._messages(task):
            own = (bot_id is not None and message.get("bot_id") == bot_id) or (
                bot_user is not None and message.get("user") == bot_user
            )
            blocks = message.get("blocks") or []
            redacted = redaction.redact(blocks, erased, text) if own else blocks
            if redacted != blocks:
                await self.client.chat_update(
                    channel=task.channel,
                    ts=str(message["ts"]),
                    text=str(message.get("text") or ""),
                    blocks=redacted,
                )
                edited += 1
        await ctx.call(forget_mentions, channel=task.channel, ts=task.ts, customer_ids=list(erased))
        return edited

    async def _messages(self, task: ErasureTask) -> list[dict[str, Any]]:
        """The message (scope `message`) or the message and its replies (`thread`)."""
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = await self.client.conversations_replies(
                channel=task.channel, ts=task.ts, limit=PAGE, cursor=cursor
            )
            found.extend(page.get("messages") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or not page.get("has_more"):
                break
        if task.scope == MESSAGE:
            found = [m for m in found if m.get("ts") == task.ts]
        return found

    async def _identity(self) -> tuple[str | None, str | None]:
        """The app's bot id and bot user id (auth.test, asked once)."""
        if self._me is None:
            me = await self.client.auth_test()
            self._me = (me.get("bot_id"), me.get("user_id"))
        return self._me
