"""Serving the sandbox over real HTTP on loopback: in the caller's event loop or in a background thread.

The socket is bound (port 0 → a free port) before uvicorn starts, so the URL is known at once
and nothing races for a port. Both ways stop cleanly: pending long polls are released first, so
shutdown never waits for a getUpdates timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from types import TracebackType

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bot.sandbox.telegram.api import api_routes
from bot.sandbox.telegram.driver import TelegramSandbox
from bot.sandbox.telegram.driver_http import driver_routes


def create_app(sandbox: TelegramSandbox) -> Starlette:
    """The Bot API plus the /sandbox driver endpoints; mountable into another Starlette app."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if sandbox.state.webhook is not None:  # served again after a restart: resume deliveries
            sandbox.webhook_pump.ensure_running()
        yield
        await sandbox.webhook_pump.stop()

    return Starlette(
        routes=[*api_routes(sandbox.state, sandbox.webhook_pump), *driver_routes(sandbox)], lifespan=lifespan
    )


class _Uvicorn(uvicorn.Server):
    """uvicorn.Server that reports when it listens and leaves signal handling to the host process."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self._on_started()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class UvicornServer:
    """Any ASGI app on 127.0.0.1: `async with` runs it as a task, `start()`/`stop()` in a thread."""

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._socket = socket.create_server((host, port))
        # Accepted connections inherit this. asyncio sets it only on sockets it created itself; without
        # it, a response written in two parts waits for the client's delayed ACK (~40 ms per request).
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host, self.port = self._socket.getsockname()[:2]
        self._ready = threading.Event()
        self._ready_in_loop: asyncio.Event | None = None
        config = uvicorn.Config(
            app, lifespan="on", log_config=None, access_log=False, timeout_graceful_shutdown=3
        )
        self._server = _Uvicorn(config, self._started)
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None
        self._thread_error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _started(self) -> None:
        self._ready.set()
        if self._ready_in_loop is not None:
            self._ready_in_loop.set()

    def _before_stop(self) -> None:
        """Hook for subclasses: release requests that would otherwise hold shutdown up."""

    # -- in the current event loop -----------------------------------------------------------------

    async def __aenter__(self) -> UvicornServer:
        self._ready_in_loop = asyncio.Event()
        self._task = asyncio.create_task(
            self._server.serve(sockets=[self._socket]), name=f"uvicorn {self.url}"
        )
        ready = asyncio.create_task(self._ready_in_loop.wait())
        await asyncio.wait({self._task, ready}, timeout=10.0, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            await self.__aexit__(None, None, None)  # re-raises uvicorn's startup failure, if any
            raise RuntimeError(f"server on {self.url} did not start within 10 s")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._before_stop()
        self._server.should_exit = True
        await task  # a crash inside uvicorn surfaces here

    # -- in a background thread (sync fixtures, the demo) -----------------------------------------

    def start(self) -> UvicornServer:
        self._thread = threading.Thread(target=self._run_thread, name=f"uvicorn {self.url}", daemon=True)
        self._thread.start()
        if not self._ready.wait(10.0):
            self.stop()
            raise RuntimeError(f"server on {self.url} did not start") from self._thread_error
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._before_stop()
        self._server.should_exit = True
        thread.join(10.0)
        if thread.is_alive():
            raise RuntimeError(f"server on {self.url} did not stop within 10 s")
        if self._thread_error is not None:
            raise RuntimeError(f"server on {self.url} failed") from self._thread_error

    def _run_thread(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException as error:  # re-raised in the caller's thread by start()/stop()
            self._thread_error = error

    def __enter__(self) -> UvicornServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class SandboxServer(UvicornServer):
    """The Telegram sandbox on loopback; point the bot at `bot_api_base_url`."""

    def __init__(
        self, sandbox: TelegramSandbox | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.sandbox = sandbox or TelegramSandbox()
        self.sandbox.state.closing = False
        super().__init__(create_app(self.sandbox), host=host, port=port)

    @property
    def bot_api_base_url(self) -> str:
        """For TELEGRAM_API_BASE_URL / ApplicationBuilder.base_url: requests go to {this}{token}/{method}."""
        return f"{self.url}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.url}/file/bot"

    def _before_stop(self) -> None:
        with self.sandbox.state.lock:
            self.sandbox.state.closing = True
        self.sandbox.state.changed()

    async def __aenter__(self) -> SandboxServer:
        await super().__aenter__()
        return self

    def start(self) -> SandboxServer:
        super().start()
        return self

    def __enter__(self) -> SandboxServer:
        return self.start()
