"""Real-time alerts in SLACK_TEAM_CHANNEL, driven by domain events.

One alert per open ticket: the first event about a ticket posts it, later ones redraw it in place
(chat.update), and the customer's messages go into its thread. The events come from the outbox
(bot/outbox.py), never from a Telegram update in flight, so an update never waits for Slack; a
subscriber that could not do its part raises, and the outbox tries it again later (a 429 after
its Retry-After). The outbox delivers one customer's events in order; a per-ticket lock also keeps
the order of what one ticket shows within this process (post before thread lines).

Across processes the post is claimed in the database, and the claim covers the post until it is
attached to the ticket: an event elsewhere waits for it rather than posting a second alert or
dropping its thread line. A post Slack did not answer is looked for in the channel (the alert's
message metadata names its ticket) before it is ever made again; see docs/decisions.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from weakref import WeakValueDictionary

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import (
    ConversationAnswered,
    ConversationOverdue,
    ConversationsLinked,
    CustomerMessaged,
    DetractorAnswered,
    EventBus,
    RelayPaused,
    RelayResumed,
    SurveyCommented,
    TicketOpened,
    TicketResolved,
)
from bot.outbox import current_delivery
from bot.services.alerts import (
    AlertClaim,
    AlertView,
    alert_view,
    claim_alert_post,
    open_ticket_id,
    release_alert_claim,
    renew_alert_claim,
    ticket_for_alert,
)
from bot.services.conversations import HeldBatch, claim_held_batch, due_held_batches, finish_held_batch
from bot.services.tickets import attach_slack_thread
from handlers.slack.blocks import alert as alert_blocks
from handlers.slack.deps import SlackDeps
from handlers.slack.notify import api_error

log = logging.getLogger(__name__)

DETRACTOR_MAX = 6

LEASE_TIMEOUTS = 3
"""A poster's claim lasts this many client timeouts (plus the longest look-up pause). The poster renews
it before each call to Slack, so it runs out only for a poster that died, or gave up not knowing
whether its post landed."""
WAIT_FIRST, WAIT_MAX = 0.1, 1.0
"""Seconds between checks while another process posts the alert (doubling up to the maximum)."""
LOOK_AGAIN = (0.0, 2.0, 5.0)
"""Pauses before each look for a post Slack did not answer: Slack may store it a moment later."""
POSTS_MAX = 3
"""Posts of one alert Slack may leave unanswered before the poster leaves it to a later event."""
HISTORY_LIMIT = 200
"""Latest top-level messages searched for an unanswered post (Slack's recommended page size)."""
IN_DOUBT_ERRORS = frozenset({"internal_error", "fatal_error"})
"""Slack's own words for these: "it's possible some aspect of the operation succeeded"."""


class _ClaimLost(Exception):
    """Another poster took the ticket's claim over while this one was unsure of its post."""


class AlertNotPosted(Exception):
    """The ticket's alert is not in Slack yet (its post is in doubt, or another poster has it): the
    event is tried again later (by the outbox), when the post has landed or its claim expired."""


class AlertPoster:
    def __init__(self, deps: SlackDeps, client: AsyncWebClient, channel: str) -> None:
        self.deps = deps
        self.client = client
        self.channel = channel
        self.lease = timedelta(seconds=LEASE_TIMEOUTS * client.timeout + max(LOOK_AGAIN))
        self._locks: WeakValueDictionary[int, asyncio.Lock] = WeakValueDictionary()

    def _lock(self, ticket_id: int) -> asyncio.Lock:
        lock = self._locks.get(ticket_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[ticket_id] = lock
        return lock

    async def show(self, ticket_id: int, *, update: bool = True) -> AlertView | None:
        """Post the ticket's alert if it has none yet; otherwise redraw it in place (if `update`)."""
        lock = self._lock(ticket_id)
        async with lock:
            return await self._show(ticket_id, update=update)

    async def _show(self, ticket_id: int, *, update: bool) -> AlertView | None:
        posted = await self._posted(ticket_id)
        if posted is None:
            return None
        view, fresh = posted
        ticket = view.ticket
        erased = view.customer.erased_at is not None
        if update and not fresh and not erased and ticket.slack_channel and ticket.slack_ts:
            text, blocks = self._render(view)
            await self.client.chat_update(
                channel=ticket.slack_channel, ts=ticket.slack_ts, text=text, blocks=blocks
            )
        return view

    def _render(self, view: AlertView) -> tuple[str, list[dict[str, Any]]]:
        settings, t = self.deps.settings, self.deps.team_t
        relay_all = settings.slack_thread_relay == "all"
        return alert_blocks.alert_text(t, view), alert_blocks.alert_blocks(
            t, view, settings.tz, relay_all=relay_all, targets=self.deps.ctx.rules.response_targets
        )

    async def _posted(self, ticket_id: int) -> tuple[AlertView, bool] | None:
        """The ticket's view once its alert is in Slack, and whether this call drew it just now.

        One caller, across processes, holds the claim and posts; every other one waits for the post
        to land, so what it adds (a thread line, a redraw) comes after the alert, never instead of
        it or beside a second one. A claim whose lease ran out is taken over. None: the poster
        gave up without knowing (the claim's lease will let a later event try again). An erased
        customer's ticket is returned as it is: nothing is posted or redrawn for it any more.
        """
        ctx = self.deps.ctx
        pause = WAIT_FIRST
        while True:
            view = await ctx.call(alert_view, ticket_id)
            if view.customer.erased_at is not None:
                return view, False  # an event from before an erasure: its alert is "erased", and stays so
            if view.ticket.slack_ts:
                return view, False
            claim = await ctx.call(claim_alert_post, ctx.clock, ticket_id, lease=self.lease)
            if claim is not None:
                return await self._post(view, claim)
            if pause == WAIT_FIRST:
                log.info("alert for ticket %s is being posted elsewhere: waiting for it", ticket_id)
            await asyncio.sleep(pause)
            pause = min(2 * pause, WAIT_MAX)

    async def _post(self, view: AlertView, claim: AlertClaim) -> tuple[AlertView, bool] | None:
        """Post and attach the alert under `claim`. Slack's "no" releases the claim for the next event.
        No answer (a timeout, a dropped connection, Slack's own internal error) keeps it: the post may
        be in the channel, so it is looked for there before it is ever made again."""
        ctx = self.deps.ctx
        text, blocks = self._render(view)
        in_doubt = claim.taken_over
        try:
            for _ in range(POSTS_MAX):
                if in_doubt:
                    found, claim = await self._look_for(view, claim)
                    if found is not None:
                        return await self._attach(view, found)
                    claim = await self._renewed(claim)
                try:
                    posted = await self.client.chat_postMessage(
                        channel=self.channel, text=text, blocks=blocks, metadata=alert_blocks.marker(view)
                    )
                except (SlackApiError, aiohttp.ClientConnectorError) as exc:
                    if not _in_doubt(exc):
                        await ctx.call(release_alert_claim, claim)
                        raise
                    error = api_error(exc) if isinstance(exc, SlackApiError) else type(exc).__name__
                except (TimeoutError, aiohttp.ClientError) as exc:
                    error = type(exc).__name__
                else:
                    return await self._attach(view, (str(posted["channel"]), str(posted["ts"])))
                log.warning(
                    "alert for ticket %s: no answer to the post (%s); looking for it before posting again",
                    claim.ticket_id,
                    error,
                )
                in_doubt = True
        except _ClaimLost:
            log.info("alert for ticket %s: another poster took over", claim.ticket_id)
            return None
        log.error(
            "alert for ticket %s: no answer from Slack to %d posts and none found; tried again later",
            claim.ticket_id,
            POSTS_MAX,
        )
        return None

    async def _renewed(self, claim: AlertClaim) -> AlertClaim:
        ctx = self.deps.ctx
        renewed = await ctx.call(renew_alert_claim, ctx.clock, claim)
        if renewed is None:
            raise _ClaimLost
        return renewed

    async def _look_for(
        self, view: AlertView, claim: AlertClaim
    ) -> tuple[tuple[str, str] | None, AlertClaim]:
        """The alert's (channel, ts) if it is among the channel's latest messages, looked for after each
        pause (a slow Slack may store a post it did not answer a moment later); the renewed claim.
        A look-up that fails raises: the post stays in doubt, and is not made again."""
        for pause in LOOK_AGAIN:
            await asyncio.sleep(pause)
            claim = await self._renewed(claim)
            page = await self.client.conversations_history(
                channel=self.channel, limit=HISTORY_LIMIT, include_all_metadata=True
            )
            for message in page.get("messages") or []:
                if alert_blocks.is_alert_for(message, view):
                    log.info(
                        "alert for ticket %s found in the channel: not posting it again", claim.ticket_id
                    )
                    return (self.channel, str(message["ts"])), claim
        return None, claim

    async def _attach(self, view: AlertView, message: tuple[str, str]) -> tuple[AlertView, bool]:
        """Record the alert on the ticket. If another poster's alert got there first, ours is a
        duplicate and is deleted. A failure here keeps the claim: the message is in Slack, and the
        next poster finds it."""
        ctx, ticket = self.deps.ctx, view.ticket
        assert ticket.id is not None
        channel, ts = message
        kept = await ctx.call(
            attach_slack_thread, ticket_id=ticket.id, channel=channel, ts=ts, clock=ctx.clock
        )
        if kept != message:
            log.warning("alert for ticket %s was posted twice; deleting the later one", ticket.id)
            await self.client.chat_delete(channel=channel, ts=ts)
        ticket.slack_channel, ticket.slack_ts = kept
        return view, kept == message

    async def relay_customer_message(self, ticket_id: int, text: str) -> None:
        await self.in_thread(ticket_id, lambda view: alert_blocks.customer_said(self.deps.team_t, view, text))

    async def in_thread(
        self,
        ticket_id: int,
        compose: Callable[[AlertView], str] | str,
        *,
        redraw: bool = False,
        part: int = 0,
    ) -> bool:
        """Post a line (or what `compose` makes of the alert's view) into the ticket's thread, its alert
        first if it has none yet; False if the ticket's customer was erased (no line). Raises
        AlertNotPosted while the alert is not in Slack (the caller tries again later). `redraw`:
        update the alert too (its status changed). Delivering an outbox row, the line carries the
        row (and `part`, for an event that posts several lines) in its metadata, so a retry after a
        post Slack did not answer finds it rather than posting it twice."""
        async with self._lock(ticket_id):
            view = _posted(await self._show(ticket_id, update=redraw), ticket_id)
            if view is None:
                return False  # an event from before an erasure: nothing goes into its thread
            channel, thread = view.ticket.slack_channel or self.channel, view.ticket.slack_ts
            assert thread is not None
            delivery = current_delivery()
            line = alert_blocks.line_marker(delivery.row_id, part) if delivery is not None else None
            if (
                delivery is not None
                and delivery.again
                and line is not None
                and await self._line_in_thread(channel, thread, line)
            ):
                log.info("ticket %s: the thread line of a try Slack did not answer is there", ticket_id)
                return True
            await self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread,
                text=compose if isinstance(compose, str) else compose(view),
                metadata=line,
            )
            return True

    async def relay_held(self) -> int:
        """The relay tick: one combined post for each conversation whose held messages are due
        (claimed in the database, so one process posts it). Returns the posts made."""
        ctx = self.deps.ctx
        posted = 0
        for ticket_id in await ctx.call(due_held_batches, ctx.clock):
            batch = await ctx.call(claim_held_batch, ctx.clock, ticket_id)
            if batch is None:
                continue  # another process took it, or nothing is held any more
            try:
                sent = await self._post_batch(batch)
            except (SlackApiError, aiohttp.ClientError, TimeoutError, AlertNotPosted) as exc:
                # The messages stay held: the claim runs out and the post is due again in a minute.
                log.warning("combined post for ticket %s failed (%s); trying again later", ticket_id, exc)
                continue
            if sent:
                await ctx.call(finish_held_batch, batch)
                posted += 1
        return posted

    async def _post_batch(self, batch: HeldBatch) -> bool:
        t, tz = self.deps.team_t, self.deps.settings.tz
        lines = [(m.at, m.text) for m in batch.messages]
        return await self.in_thread(
            batch.ticket_id, lambda view: alert_blocks.customer_said_many(t, view, lines, tz)
        )

    async def _line_in_thread(self, channel: str, thread: str, line: dict[str, Any]) -> bool:
        """Whether an earlier try of this thread line landed after all (looked for after each pause:
        Slack may store a post it did not answer a moment later)."""
        for pause in LOOK_AGAIN:
            await asyncio.sleep(pause)
            page = await self.client.conversations_replies(
                channel=channel, ts=thread, limit=HISTORY_LIMIT, include_all_metadata=True
            )
            if any((m.get("metadata") or {}) == line for m in page.get("messages") or []):
                return True
        return False

    # --- event subscribers (the outbox calls them; raising means "try again later") --------
    async def on_detractor(self, event: DetractorAnswered) -> None:
        ctx = self.deps.ctx
        text = f"NPS {event.score}" + (f": {event.comment}" if event.comment else "")
        ticket, opened = await ctx.call(
            ticket_for_alert, ctx.clock, customer_id=event.customer_id, source="survey", text=text
        )
        if not opened:  # a new ticket's TicketOpened posts the alert; an open one is redrawn
            assert ticket.id is not None
            _posted(await self.show(ticket.id), ticket.id)

    async def on_commented(self, event: SurveyCommented) -> None:
        if event.score > DETRACTOR_MAX:
            return
        ticket_id = await self.deps.ctx.call(open_ticket_id, event.customer_id)
        if ticket_id is not None:
            _posted(await self.show(ticket_id), ticket_id)

    async def on_ticket_opened(self, event: TicketOpened) -> None:
        _posted(await self.show(event.ticket_id, update=False), event.ticket_id)

    async def on_ticket_resolved(self, event: TicketResolved) -> None:
        _posted(await self.show(event.ticket_id), event.ticket_id)

    async def on_customer_messaged(self, event: CustomerMessaged) -> None:
        await self.relay_customer_message(event.ticket_id, event.text)

    async def on_relay_paused(self, event: RelayPaused) -> None:
        await self.in_thread(
            event.ticket_id, lambda view: alert_blocks.relay_paused(self.deps.team_t, view), redraw=True
        )

    async def on_relay_resumed(self, event: RelayResumed) -> None:
        _posted(await self.show(event.ticket_id), event.ticket_id)

    async def on_conversations_linked(self, event: ConversationsLinked) -> None:
        """Several lines for one event: each carries its own part number, so a retry after a failure
        half-way posts only the lines that are not in their threads yet."""
        t = self.deps.team_t
        part = 0
        for ticket_id in event.moved:
            part += 1
            await self.in_thread(ticket_id, lambda view: alert_blocks.linked(t, view), redraw=True, part=part)
        for closed, into in event.folded:
            folded = t.format("slack.thread.folded", ticket=into)
            continued = t.format("slack.thread.folded_into", ticket=closed)
            await self.in_thread(closed, folded, redraw=True, part=part + 1)
            await self.in_thread(into, continued, part=part + 2)
            part += 2

    async def on_conversation_overdue(self, event: ConversationOverdue) -> None:
        """Past its first-response target (flagged once): the alert shows it, and one thread line
        mentions the assignee (or says nobody has it yet)."""
        t = self.deps.team_t
        await self.in_thread(
            event.ticket_id, lambda view: alert_blocks.overdue(t, view, event.target_hours), redraw=True
        )

    async def on_conversation_answered(self, event: ConversationAnswered) -> None:
        _posted(await self.show(event.ticket_id), event.ticket_id)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(DetractorAnswered, self.on_detractor)
        bus.subscribe(SurveyCommented, self.on_commented)
        bus.subscribe(TicketOpened, self.on_ticket_opened)
        bus.subscribe(TicketResolved, self.on_ticket_resolved)
        bus.subscribe(CustomerMessaged, self.on_customer_messaged)
        bus.subscribe(RelayPaused, self.on_relay_paused)
        bus.subscribe(RelayResumed, self.on_relay_resumed)
        bus.subscribe(ConversationsLinked, self.on_conversations_linked)
        bus.subscribe(ConversationOverdue, self.on_conversation_overdue)
        bus.subscribe(ConversationAnswered, self.on_conversation_answered)


def _posted(view: AlertView | None, ticket_id: int) -> AlertView | None:
    """The view of a ticket whose alert is in Slack; None for an erased customer's (nothing more is
    shown for it). Raises AlertNotPosted otherwise: the outbox tries the event again later."""
    if view is not None and view.customer.erased_at is not None:
        return None
    if view is None or not view.ticket.slack_ts:
        raise AlertNotPosted(f"ticket {ticket_id} has no alert in Slack yet")
    return view


def _in_doubt(exc: SlackApiError | aiohttp.ClientConnectorError) -> bool:
    """Whether a failed post may have landed. A connection that was never made and Slack's own
    refusals (not_in_channel, ratelimited, …) are a definite no; a 5xx or an internal error is not."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return False
    return exc.response.status_code >= 500 or api_error(exc) in IN_DOUBT_ERRORS
