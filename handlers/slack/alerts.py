"""Real-time alerts in SLACK_TEAM_CHANNEL, driven by domain events.

One alert per open ticket: the first event about a ticket posts it, later ones redraw it in place
(chat.update), and the customer's messages go into its thread. Subscribers only schedule the work,
so a Telegram update never waits for Slack; a per-ticket lock keeps the order of what one ticket
shows (post before thread lines, messages in the order they came).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar
from weakref import WeakValueDictionary

from slack_sdk.web.async_client import AsyncWebClient

from bot.events import (
    CustomerMessaged,
    DetractorAnswered,
    EventBus,
    FeedbackReceived,
    SurveyCommented,
    TicketOpened,
    TicketResolved,
)
from bot.services.alerts import (
    AlertView,
    alert_view,
    claim_alert_post,
    open_ticket_id,
    release_alert_claim,
    ticket_for_alert,
)
from bot.services.tickets import attach_slack_thread
from handlers.slack.blocks import alert as alert_blocks
from handlers.slack.deps import SlackDeps

log = logging.getLogger(__name__)

E = TypeVar("E")
DETRACTOR_MAX = 6


class AlertPoster:
    def __init__(self, deps: SlackDeps, client: AsyncWebClient, channel: str) -> None:
        self.deps = deps
        self.client = client
        self.channel = channel
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
        ctx, t = self.deps.ctx, self.deps.team_t
        view = await ctx.call(alert_view, ticket_id)
        relay_all = ctx.settings.slack_thread_relay == "all"
        text = alert_blocks.alert_text(t, view)
        blocks = alert_blocks.alert_blocks(t, view, ctx.settings.tz, relay_all=relay_all)
        ticket = view.ticket
        if ticket.slack_ts and ticket.slack_channel:
            if update:
                await self.client.chat_update(
                    channel=ticket.slack_channel, ts=ticket.slack_ts, text=text, blocks=blocks
                )
            return view
        if not await ctx.call(claim_alert_post, ctx.clock, ticket_id):
            log.info("alert for ticket %s is being posted elsewhere", ticket_id)
            return None
        try:
            posted = await self.client.chat_postMessage(channel=self.channel, text=text, blocks=blocks)
            channel, ts = str(posted["channel"]), str(posted["ts"])
            await ctx.call(attach_slack_thread, ticket_id=ticket_id, channel=channel, ts=ts)
        except BaseException:
            await ctx.call(release_alert_claim, ticket_id)
            raise
        ticket.slack_channel, ticket.slack_ts = channel, ts
        return view

    async def relay_customer_message(self, ticket_id: int, text: str) -> None:
        async with self._lock(ticket_id):
            view = await self._show(ticket_id, update=False)
            if view is None or not view.ticket.slack_ts:
                return
            await self.client.chat_postMessage(
                channel=view.ticket.slack_channel or self.channel,
                thread_ts=view.ticket.slack_ts,
                text=alert_blocks.customer_said(self.deps.team_t, view, text),
            )

    # --- event subscribers (each schedules its work and returns) --------------------------
    async def on_detractor(self, event: DetractorAnswered) -> None:
        ctx = self.deps.ctx
        text = f"NPS {event.score}" + (f": {event.comment}" if event.comment else "")
        ticket, opened = await ctx.call(
            ticket_for_alert, ctx.clock, customer_id=event.customer_id, source="survey", text=text
        )
        if not opened:  # a new ticket's TicketOpened posts the alert; an open one is redrawn
            assert ticket.id is not None
            await self.show(ticket.id)

    async def on_commented(self, event: SurveyCommented) -> None:
        if event.score > DETRACTOR_MAX:
            return
        ticket_id = await self.deps.ctx.call(open_ticket_id, event.customer_id)
        if ticket_id is not None:
            await self.show(ticket_id)

    async def on_feedback(self, event: FeedbackReceived) -> None:
        if not event.negative:
            return
        ticket_id = event.ticket_id
        if ticket_id is None:
            ctx = self.deps.ctx
            ticket, _ = await ctx.call(
                ticket_for_alert, ctx.clock, customer_id=event.customer_id, source="feedback", text=event.text
            )
            ticket_id = ticket.id
        assert ticket_id is not None
        await self.show(ticket_id, update=False)

    async def on_ticket_opened(self, event: TicketOpened) -> None:
        await self.show(event.ticket_id, update=False)

    async def on_ticket_resolved(self, event: TicketResolved) -> None:
        await self.show(event.ticket_id)

    async def on_customer_messaged(self, event: CustomerMessaged) -> None:
        await self.relay_customer_message(event.ticket_id, event.text)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(DetractorAnswered, self._later(self.on_detractor))
        bus.subscribe(SurveyCommented, self._later(self.on_commented))
        bus.subscribe(FeedbackReceived, self._later(self.on_feedback))
        bus.subscribe(TicketOpened, self._later(self.on_ticket_opened))
        bus.subscribe(TicketResolved, self._later(self.on_ticket_resolved))
        bus.subscribe(CustomerMessaged, self._later(self.on_customer_messaged))

    def _later(self, handler: Callable[[E], Coroutine[Any, Any, None]]) -> Callable[[E], Awaitable[None]]:
        async def schedule(event: E) -> None:
            self.deps.background.spawn(handler(event), name=f"alert:{type(event).__name__}")

        return schedule
