"""Serving the sandbox (or any ASGI app, such as a Bolt app in tests) with uvicorn on a free loopback port."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Self

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bot.sandbox.slack import api, driver_http, files, hooks
from bot.sandbox.slack.driver import SlackDriver
from bot.sandbox.slack.models import Workspace
from bot.sandbox.slack.rate_limit import RateLimiter
from bot.sandbox.slack.state import SandboxState


class _EmbeddedServer(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # an embedded server must not take Ctrl+C away from pytest or the host process


class LoopbackServer:
    """uvicorn on 127.0.0.1 and a kernel-chosen port; run it in the current loop or in its own thread."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))  # bound now, so the URL is known before serving starts
        self.host, self.port = self._sock.getsockname()[:2]
        config = uvicorn.Config(
            app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=2
        )
        self._server = _EmbeddedServer(config)
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # re-raise why uvicorn could not start
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.005)  # uvicorn exposes only a flag for readiness

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
        self._sock.close()

    def start_in_thread(self) -> None:
        """Serve from a daemon thread with its own loop (session-scoped fixtures outlive test loops)."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(self.start())
            except BaseException as exc:  # handed to the starting thread, which raises it
                failure.append(exc)
                ready.set()
                return
            ready.set()
            self._loop.run_until_complete(self._task or asyncio.sleep(0))
            self._loop.close()

        self._thread = threading.Thread(target=run, name=f"loopback-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise RuntimeError("server thread failed to start") from failure[0]

    def stop_thread(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._sock.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


class SlackSandbox(LoopbackServer):
    """The fake Slack: Web API at `api_url`, response_urls, uploads, and the driver (also under /sandbox/)."""

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        rate_limits: Mapping[str, int] | None = None,
        default_rate_limit: int = 6000,
        ack_timeout: float = 3.0,
        event_retries: Sequence[float] = (),
        port: int = 0,
        id_seed: int = 0,
    ) -> None:
        """`id_seed` picks the sequence of ids (users, channels, views, triggers) it hands out;
        `event_retries` the delays of Slack's retries of a failed event delivery (none by default:
        `SLACK_EVENT_RETRIES` is Slack's own schedule, a test passes a faster one)."""
        self.state = SandboxState(workspace, id_seed=id_seed)
        self.limiter = RateLimiter(self.state.now, default_rate_limit, rate_limits)
        app = Starlette()
        super().__init__(app, port=port)
        self.driver = SlackDriver(self.state, self.url + "/", self.limiter, ack_timeout, event_retries)
        for route in (
            api.routes(self.state, self.limiter)
            + files.routes(self.state)
            + hooks.routes(self.state)
            + driver_http.routes(self.driver)
        ):
            app.router.routes.append(route)

    async def stop(self) -> None:
        self.driver.cancel_event_retries()
        await super().stop()

    @property
    def api_url(self) -> str:
        """The `base_url` for slack-sdk clients; the trailing slash matters (urljoin)."""
        return self.url + "/api/"
