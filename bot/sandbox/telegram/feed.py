"""Change notification that works across threads and event loops.

The sandbox may be served by uvicorn in a background thread while a test awaits on its own loop,
so an asyncio.Event (bound to one loop) is not enough: waiters register a wake-up callback and
the notifier schedules it thread-safely on the waiter's loop. No polling, no sleeps.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ChangeFeed:
    """A version counter; `changed()` wakes everyone waiting for a condition to become true."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = 0
        self._wakers: set[Callable[[], None]] = set()

    @property
    def version(self) -> int:
        return self._version

    def changed(self) -> int:
        with self._lock:
            self._version += 1
            wakers = list(self._wakers)
            version = self._version
        for wake in wakers:
            wake()
        return version

    async def wait_for(self, check: Callable[[], T | None], timeout: float | None) -> T | None:  # noqa: ASYNC109
        """Await until `check()` returns non-None (its value), or None once `timeout` seconds pass."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            future: asyncio.Future[None] = loop.create_future()

            def wake(fut: asyncio.Future[None] = future) -> None:
                if not loop.is_closed():
                    loop.call_soon_threadsafe(_resolve, fut)

            self._add(wake)
            try:
                result = check()
                if result is not None:
                    return result
                remaining = None if deadline is None else deadline - loop.time()
                if remaining is not None and remaining <= 0:
                    return None
                try:
                    await asyncio.wait_for(future, remaining)
                except TimeoutError:
                    return check()
            finally:
                self._remove(wake)

    def wait_for_blocking(self, check: Callable[[], T | None], timeout: float | None) -> T | None:
        """Thread-blocking twin of `wait_for`, for synchronous callers (console demo, sync fixtures)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            event = threading.Event()
            self._add(event.set)
            try:
                result = check()
                if result is not None:
                    return result
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                if not event.wait(remaining):
                    return check()
            finally:
                self._remove(event.set)

    def _add(self, waker: Callable[[], None]) -> None:
        with self._lock:
            self._wakers.add(waker)

    def _remove(self, waker: Callable[[], None]) -> None:
        with self._lock:
            self._wakers.discard(waker)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
