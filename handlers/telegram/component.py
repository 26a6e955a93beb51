"""The Telegram part of `retention-bot run`: long polling by default, a webhook route on the shared
HTTP server when TELEGRAM_WEBHOOK_URL is set, the events it delivers (from the outbox: bot/outbox.py),
and its upkeep tick (survey campaigns, reminders, expiry)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from typing import Any

from starlette.routing import BaseRoute
from telegram.error import TelegramError

from bot.context import AppContext
from bot.events import SurveyCampaignStarted
from bot.services.campaigns import campaigns_to_send
from bot.services.survey_dispatch import expire_surveys, send_due_reminders
from bot.text.sentiment import warm_up
from handlers.telegram import notifications, surveys
from handlers.telegram.application import ALLOWED_UPDATES, TelegramOptions, build_application
from handlers.telegram.campaign_sender import send_campaign
from handlers.telegram.menu import set_command_menus
from handlers.telegram.polling import Poller
from handlers.telegram.processor import PerChatUpdateProcessor
from handlers.telegram.profile import set_descriptions
from handlers.telegram.surveys import Subscription
from handlers.telegram.webhook import Handled, webhook_route

log = logging.getLogger(__name__)


class TelegramComponent:
    name = "telegram"

    def __init__(self, ctx: AppContext, options: TelegramOptions | None = None) -> None:
        self.ctx = ctx
        self.options = options or TelegramOptions()
        settings = ctx.settings
        self.webhook_url = settings.telegram_webhook_url
        secret = settings.telegram_webhook_secret
        # Without a configured secret one is made up: the webhook is never left open to anyone.
        self._secret = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        self.application, self.deps = build_application(ctx, self.options)
        self.poller: Poller | None = None
        if not self.webhook_url:
            self.poller = Poller(
                self.application, timeout=self.options.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
            processor = self.application.update_processor
            assert isinstance(processor, PerChatUpdateProcessor)
            processor.done = self.poller.done
        self.routes: list[BaseRoute] = []
        if self.webhook_url:
            handled = Handled()
            processor = self.application.update_processor
            assert isinstance(processor, PerChatUpdateProcessor)
            processor.done = handled.done
            self.routes = [webhook_route(self.webhook_url, self._secret, self.application, handled)]
        self._subscriptions: list[Subscription] = [
            *surveys.subscriptions(self.deps),
            *notifications.subscriptions(self.deps),
            (SurveyCampaignStarted, self._campaign_started),
        ]
        self._tasks: set[asyncio.Task[Any]] = set()
        self._sending: dict[int, asyncio.Task[Any]] = {}

    async def start(self) -> None:
        application = self.application
        await asyncio.to_thread(warm_up)  # ~3 s of imports now, not on the first customer's message
        await application.initialize()
        try:
            await set_command_menus(self.deps)
        except TelegramError as exc:
            log.warning("could not set the command menus: %s", exc)
        try:
            settings = self.ctx.settings
            await set_descriptions(application.bot, settings.business_name, settings.default_language)
        except TelegramError as exc:  # a convenience: never worth failing start-up for
            log.warning("could not set the bot's description: %s", exc)
        if self.webhook_url:
            await application.bot.set_webhook(
                self.webhook_url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES
            )
        await application.start()
        if self.poller is not None:
            await self.poller.start()
        for event_type, handler in self._subscriptions:
            self.ctx.bus.subscribe(event_type, handler)
        await self.ctx.outbox.attach(self.name)  # deliver what the outbox holds for Telegram
        if self.options.tick_seconds:
            self._spawn(self._upkeep(self.options.tick_seconds), name="telegram-upkeep")

    async def stop(self) -> None:
        await self.ctx.outbox.detach(self.name)  # deliveries in flight end (or go back) first
        for event_type, handler in self._subscriptions:
            self.ctx.bus.unsubscribe(event_type, handler)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        application = self.application
        if self.poller is not None:
            await self.poller.stop()
        if application.running:
            await application.stop()  # the updates in hand are handled first
        if self.poller is not None:
            await self.poller.confirm()
        await self.deps.call.close()
        await application.shutdown()

    async def tick(self) -> None:
        """Close expired surveys, send due reminders, and send what campaigns may send now.

        A campaign whose sender lease nobody holds (or whose holder stopped renewing it: a crashed
        CLI, another instance that died) is taken over; its surveys left in doubt are sent again.
        """
        ctx, call = self.ctx, self.deps.call
        await call(expire_surveys, ctx.clock)
        await call(send_due_reminders, ctx.clock, ctx.rules)
        for campaign_id, _trickle in await call(campaigns_to_send, ctx.clock):
            if campaign_id not in self._sending:
                self.send(campaign_id)

    def send(self, campaign_id: int) -> asyncio.Task[Any]:
        """Send a campaign in the background (once per process at a time); the task is returned."""
        running = self._sending.get(campaign_id)
        if running is not None and not running.done():
            return running
        work = send_campaign(self.ctx, self.application.bot, campaign_id, call=self.deps.call)
        task = self._spawn(work, name=f"telegram-campaign-{campaign_id}")
        self._sending[campaign_id] = task
        task.add_done_callback(lambda _: self._sending.pop(campaign_id, None))
        return task

    async def _campaign_started(self, event: SurveyCampaignStarted) -> None:
        self.send(event.campaign_id)

    async def _upkeep(self, every: float) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the loop must outlive one bad tick; the next one tries again
                log.exception("Telegram upkeep failed")
            await asyncio.sleep(every)

    def _spawn(self, work: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())
