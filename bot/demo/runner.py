"""`retention-bot demo`: the real `retention-bot run` stack wired to the built-in sandbox platforms.

    SandboxPlatforms (fake Telegram + fake Slack, own loopback ports)     ← started first
    build_components(ctx, Parts())   Telegram bot, Slack app, scheduler   ← exactly what `run` builds
    PlaygroundComponent              /playground page + driver relays     ← started last
                                     (+ its till: /api/v1/purchases with the demo-till key)
    Runtime(ctx, components).run()   one HTTP server on HTTP_PORT: /healthz, /slack/events, /playground

Settings are the environment's with the platform settings replaced by the sandboxes' (tokens,
base URLs, team channel, admins), so the demo can never reach a real Telegram or Slack, and with
the demo's own database (`./demo.db` unless told otherwise; never DATABASE_URL), refused before
any migration if it holds data the demo did not seed (bot/demo/database.py).
The clock is the system time plus an offset the playground moves forward.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.app import Parts, Runtime, build_components
from bot.clock import OffsetClock
from bot.config import Settings
from bot.context import AppContext
from bot.demo.cast import Cast, choose_customers
from bot.demo.controls import DemoControls
from bot.demo.database import DEMO_DATABASE_URL, check_demo_database
from bot.demo.platforms import SandboxPlatforms
from bot.demo.playground import PlaygroundComponent
from bot.demo.seed import DemoSummary, seed_demo
from bot.demo.till import demo_till_key
from bot.services.risk_list import latest_snapshot_day
from bot.services.scoring import score_all
from storage.schema import upgrade

Session = Callable[["Demo"], Awaitable[int]]
"""What runs once the demo is up (the console); its result is the exit code. None: wait for Ctrl-C."""


class PortInUse(Exception):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(f"port {port} on {host} is in use; set HTTP_PORT or pass --port to pick another")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def check_port(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUse(host, port) from None


@dataclass
class Demo:
    ctx: AppContext
    clock: OffsetClock
    platforms: SandboxPlatforms
    cast: Cast
    controls: DemoControls
    runtime: Runtime
    summary: DemoSummary

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ctx.settings.http_port}/playground"


def prepare(base: Settings, port: int | None = None, database_url: str = DEMO_DATABASE_URL) -> Demo:
    """Check, migrate and seed the demo's database (once), set up both sandboxes and build the
    running parts. `base.database_url` is not used: that is the shop's database."""
    port = base.http_port if port is None else port
    port = port or free_port()
    check_port("127.0.0.1", port)
    clock = OffsetClock()
    platforms = SandboxPlatforms(clock)
    own = base.model_copy(update={"database_url": database_url})
    ctx = AppContext.from_settings(platforms.settings(own, port), clock)
    try:
        check_demo_database(ctx.engine, database_url)
        upgrade(ctx.engine)
        summary = seed_demo(ctx)
        _score_today(ctx)
        cast = Cast(choose_customers(ctx))
        platforms.populate(cast, f"http://127.0.0.1:{port}/slack/events")
        till_key = demo_till_key(ctx.uow(), clock)
        components, status = build_components(ctx, Parts())
    except BaseException:
        ctx.close()  # the caller gets no Demo to close
        raise
    controls = DemoControls(ctx, clock, platforms, cast, components, status, till_key)
    runtime = Runtime(ctx, [platforms, *components, PlaygroundComponent(controls)], status)
    return Demo(ctx, clock, platforms, cast, controls, runtime, summary)


def _score_today(ctx: AppContext) -> None:
    """Cards show segments, P(alive) and risk from the start, as after `retention-bot score` (once a day)."""
    today = ctx.clock.now().astimezone(ctx.settings.tz).date()
    if latest_snapshot_day(ctx.uow()) != today:
        score_all(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz)


async def run(
    demo: Demo, on_ready: Callable[[Demo], None], session: Session | None = None, *, interrupted: int = 0
) -> int:
    """Run until Ctrl-C/SIGTERM (exit code `interrupted`) or until `session` ends (its exit code);
    everything stops in reverse order."""
    stop = asyncio.Event()
    ready = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    running = asyncio.create_task(demo.runtime.run(stop, ready), name="demo runtime")
    code = 0
    try:
        started = asyncio.create_task(ready.wait())
        await asyncio.wait({running, started}, return_when=asyncio.FIRST_COMPLETED)
        started.cancel()
        if ready.is_set():
            on_ready(demo)
            code = await _until_stopped(session(demo) if session else _forever(running), stop, interrupted)
    finally:
        stop.set()
        await running  # re-raises a start-up failure
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return code


async def _forever(running: asyncio.Task[None]) -> int:
    """The browser demo's session: nothing to do but keep serving (returns only if serving fails)."""
    await asyncio.shield(running)
    return 1


async def _until_stopped(session: Awaitable[int], stop: asyncio.Event, interrupted: int) -> int:
    """The session's exit code, or `interrupted` when Ctrl-C comes first."""
    work = asyncio.ensure_future(session)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
    if work.done():
        stopped.cancel()
        return work.result()
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)
    return interrupted
