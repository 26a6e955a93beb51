"""The Slack part of the running bot: a Bolt AsyncApp over the domain services.

HTTP mode serves `/slack/events` on the shared server (Bolt checks the signature and the
5-minute window: 401 otherwise); with SLACK_APP_TOKEN the app talks Socket Mode instead.
Listeners ack and return (`process_before_response=True` then answers at once); the work runs as
tracked tasks, so `stop()` waits for it rather than dropping what was acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.context import AppContext
from bot.proxies import connector, describe
from handlers.slack import (
    alert_actions,
    alerts,
    cmd_analytics,
    cmd_campaigns,
    cmd_coupons,
    cmd_customers,
    cmd_digest,
    cmd_faq,
    cmd_points,
    cmd_poster,
    crm_command,
    digest_actions,
    digest_post,
    home,
    job_reports,
    shortcuts,
    threads,
)
from handlers.slack.access import Gatekeeper
from handlers.slack.deps import SlackDeps
from handlers.slack.erasure import SlackEraser
from handlers.slack.web_client import close_client, http_proxy_url, keep_proxy, slack_client, slack_proxy

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
STOP_TIMEOUT = 10.0
RELAY_TICK_SECONDS = 5.0
"""How often held customer messages are checked for their combined post (each is due a minute after
the thread's previous post)."""


def build_app(deps: SlackDeps) -> tuple[AsyncApp, alerts.AlertPoster | None]:
    """The Bolt app with every feature registered (explicitly, one module per feature), and the
    alert poster (None without SLACK_TEAM_CHANNEL)."""
    settings = deps.settings
    counts = deps.ctx.metrics.platform("slack")
    client = slack_client(settings, counts)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app = AsyncApp(
        client=client,
        before_authorize=keep_proxy(client),
        signing_secret=secret,
        process_before_response=True,
        request_verification_enabled=secret is not None,
    )

    async def count_update(next_: Callable[[], Awaitable[None]]) -> None:
        """One count per request Bolt dispatches (HTTP or Socket Mode) that passed its checks."""
        counts.update_handled()
        await next_()

    app.middleware(count_update)
    app.middleware(Gatekeeper(deps))  # who may do what (§10): before any listener, on every path
    crm = crm_command.register(app, deps)
    cmd_customers.register(app, deps, crm)
    cmd_points.register(app, deps, crm)
    cmd_analytics.register(app, deps, crm)
    cmd_digest.register(app, deps, crm)
    cmd_campaigns.register(app, deps, crm)
    cmd_faq.register(app, deps, crm)
    cmd_coupons.register(app, deps, crm)
    cmd_poster.register(app, deps, crm)
    digest_actions.register(app, deps)
    home.register(app, deps)
    shortcuts.register(app, deps)
    threads.register(app, deps)
    poster = None
    if settings.slack_team_channel:
        poster = alerts.AlertPoster(deps, client, settings.slack_team_channel)
        poster.subscribe(deps.ctx.bus)
        job_reports.JobReporter(deps, client, settings.slack_team_channel).subscribe(deps.ctx.bus)
        digest_post.DigestPoster(deps, client, settings.slack_team_channel).subscribe(deps.ctx.bus)
        alert_actions.AlertActions(deps, poster).register(app)
    else:
        log.warning("SLACK_TEAM_CHANNEL is not set: no real-time alerts will be posted")
    return app, poster


class SlackComponent:
    name = "slack"

    def __init__(self, ctx: AppContext, *, relay_tick_seconds: float | None = RELAY_TICK_SECONDS) -> None:
        settings = ctx.settings
        if settings.slack_bot_token is None:
            raise ValueError("the Slack part needs SLACK_BOT_TOKEN")
        self.deps = SlackDeps(ctx)
        self.app, self.poster = build_app(self.deps)
        self.relay_tick_seconds = relay_tick_seconds
        self._relaying: asyncio.Task[None] | None = None
        self.eraser = SlackEraser(self.deps, self.app.client)
        self.socket_mode = settings.slack_app_token is not None
        self.proxy = slack_proxy(settings)
        if not self.socket_mode and settings.slack_signing_secret is None:
            raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)")
        self._socket: AsyncSocketModeHandler | None = None
        self.routes: list[BaseRoute] = []
        if not self.socket_mode:
            handler = AsyncSlackRequestHandler(self.app)

            async def events(request: Request) -> Response:
                return await handler.handle(request)

            self.routes = [Route(EVENTS_PATH, events, methods=["POST"])]

    async def start(self) -> None:
        if self.socket_mode:
            token = self.deps.settings.slack_app_token
            assert token is not None
            self._socket = AsyncSocketModeHandler(self.app, token.get_secret_value())
            proxy = self.proxy
            sockets = self._socket.client
            sockets.proxy = http_proxy_url(proxy)  # slack-sdk read HTTPS_PROXY itself, without NO_PROXY
            if proxy is not None and proxy.socks:
                # Socket Mode takes no session (nor SOCKS): its own, public one is swapped for one
                # whose connector goes through the SOCKS proxy.
                await sockets.aiohttp_client_session.close()
                sockets.aiohttp_client_session = aiohttp.ClientSession(connector=connector(proxy))
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("Slack: connected in Socket Mode%s", describe(proxy))
        else:
            log.info("Slack: serving %s%s", EVENTS_PATH, describe(self.proxy))
        self.eraser.start(self.deps.ctx.bus)
        if self.poster is not None and self.relay_tick_seconds:
            self._relaying = asyncio.create_task(
                self._relay_loop(self.poster, self.relay_tick_seconds), name="slack-relay"
            )
        await self.deps.ctx.outbox.attach(self.name)  # alerts, thread lines, job reports

    async def _relay_loop(self, poster: alerts.AlertPoster, every: float) -> None:
        """The relay tick: combined posts of held customer messages as they fall due (the state is in
        the database, so what was held before a restart is posted after it)."""
        while True:
            try:
                await poster.relay_held()
            except Exception:  # Slack or the database unreachable: the next tick tries again
                log.exception("posting held customer messages failed; trying again in %s s", every)
            await asyncio.sleep(every)

    async def stop(self) -> None:
        await self.deps.ctx.outbox.detach(self.name)  # deliveries in flight end (or go back) first
        await self.eraser.stop()
        if self._relaying is not None:
            self._relaying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._relaying
            self._relaying = None
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        await self.deps.background.drain(STOP_TIMEOUT)
        await close_client(self.app.client)
