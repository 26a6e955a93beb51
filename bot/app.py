"""Composition root: builds the Telegram bot, the Slack app, the scheduler and the HTTP server from
the settings, and runs them in one asyncio loop. Nothing else wires parts together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from typing import Protocol

from starlette.routing import BaseRoute

from bot.context import AppContext
from bot.doctor import Scope, check_at_start
from bot.services.errors import DomainError
from bot.web import build_server, build_web_app
from storage.locks import HeldElsewhere, hold_for_process
from storage.schema import require_current

log = logging.getLogger(__name__)


class Component(Protocol):
    """A part of the running bot (Telegram, Slack, scheduler): routes to serve, and a lifecycle."""

    name: str
    routes: list[BaseRoute]

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Parts:
    telegram: bool = True
    slack: bool = True
    scheduler: bool = True


@dataclass
class Runtime:
    ctx: AppContext
    components: list[Component]
    status: dict[str, str] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        """Start every part and the HTTP server, wait for `stop`, then shut down in reverse order."""
        from handlers.api import api_routes  # /api/v1: every request needs a key, so it is always served
        from handlers.shops import shop_routes  # always served: without its secret a route answers 503

        routes = [
            *api_routes(self.ctx),
            *shop_routes(self.ctx),
            *(route for component in self.components for route in component.routes),
        ]
        server = build_server(
            build_web_app(self.ctx, routes, self.status),
            self.ctx.settings.http_host,
            self.ctx.settings.http_port,
        )
        started: list[Component] = []
        serving = asyncio.create_task(server.serve(), name="http")
        try:
            while not server.started:
                if serving.done():
                    serving.result()  # raises the bind error, if any
                    raise RuntimeError("the HTTP server stopped during start-up")
                await asyncio.sleep(0.02)
            if await self._start_unless_stopped(started, stop) and ready is not None:
                ready.set()
            await stop.wait()
        finally:
            for component in reversed(started):
                self.status[component.name] = "stopping"
                try:
                    await component.stop()
                except Exception:
                    log.exception("stopping %s failed", component.name)
                self.status[component.name] = "off"
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await serving

    async def _start_unless_stopped(self, started: list[Component], stop: asyncio.Event) -> bool:
        """Start the parts in order; True if all started. A stop (SIGTERM) during a start that hangs
        (Socket Mode retrying an unreachable Slack) cancels it: `systemctl stop` never needs the kill."""

        async def start_all() -> None:
            for component in self.components:
                self.status[component.name] = "starting"
                await component.start()
                started.append(component)
                self.status[component.name] = "running"

        starting = asyncio.create_task(start_all(), name="start")
        stopping = asyncio.create_task(stop.wait(), name="stop-signal")
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            stopping.cancel()
            starting.result()  # a part that failed to start stops the run with its error
            return True
        log.info("stopping during start-up")
        starting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await starting
        return False

    @property
    def port(self) -> int:
        return self.ctx.settings.http_port


def build_components(ctx: AppContext, parts: Parts) -> tuple[list[Component], dict[str, str]]:
    """The parts that are switched on and have what they need (a missing token switches a part off)."""
    components: list[Component] = []
    status: dict[str, str] = {}
    settings = ctx.settings
    # Telegram (handlers/telegram) and Slack (handlers/slack) register here as they land.
    if parts.telegram and settings.telegram_bot_token is not None:
        from handlers.telegram.component import TelegramComponent

        components.append(TelegramComponent(ctx))
    else:
        status["telegram"] = "off"
    if parts.slack and settings.slack_bot_token is not None:
        from handlers.slack import SlackComponent

        components.append(SlackComponent(ctx))
    else:
        status["slack"] = "off"
    if parts.scheduler:
        from bot.jobs.scheduler import SchedulerComponent

        components.append(SchedulerComponent(ctx))
    else:
        status["scheduler"] = "off"
    return components, status


async def serve(ctx: AppContext, parts: Parts) -> None:
    """`retention-bot run`: refuse an out-of-date schema, log what the doctor finds (and start
    anyway), then run until SIGINT/SIGTERM."""
    require_current(ctx.engine)
    with contextlib.ExitStack() as held:
        for key, refusal in single_consumers(ctx, parts):
            try:
                held.enter_context(hold_for_process(ctx.engine, key))
            except HeldElsewhere:
                raise AnotherInstance(refusal) from None
        await check_at_start(
            ctx.settings, ctx.clock.now(), ctx.engine, Scope(telegram=parts.telegram, slack=parts.slack)
        )
        components, status = build_components(ctx, parts)
        runtime = Runtime(ctx, components, status)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await runtime.run(stop)


class AnotherInstance(DomainError):
    """A single-consumer part (long polling, Socket Mode) already runs in another process."""


def single_consumers(ctx: AppContext, parts: Parts) -> list[tuple[str, str]]:
    """The parts of this run only one process may run on a database, as (lock key, refusal).

    Telegram hands getUpdates to one caller at a time (a second gets 409 Conflict, and the two
    take turns stealing the updates), so long polling is one process's job. Socket Mode is treated
    the same: several instances scale out in webhook and HTTP mode, behind a load balancer."""
    settings = ctx.settings
    found: list[tuple[str, str]] = []
    if parts.telegram and settings.telegram_bot_token is not None and not settings.telegram_webhook_url:
        found.append(
            (
                "telegram-long-polling",
                "another retention-bot run on this database already receives Telegram updates by long "
                "polling, and only one may; to run several instances set TELEGRAM_WEBHOOK_URL "
                "(webhook mode), or start this one with --no-telegram",
            )
        )
    if parts.slack and settings.slack_bot_token is not None and settings.slack_app_token is not None:
        found.append(
            (
                "slack-socket-mode",
                "another retention-bot run on this database already receives Slack events in Socket "
                "Mode, and only one may; to run several instances use HTTP mode (no SLACK_APP_TOKEN, "
                "a SLACK_SIGNING_SECRET), or start this one with --no-slack",
            )
        )
    return found
