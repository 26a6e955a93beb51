"""Reading the terminal without blocking the event loop the bot runs on.

One daemon thread calls input() when asked (so readline editing works and the prompt is drawn
by input itself); a Ctrl-C handled by the loop abandons it instead of waiting for Enter.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading

with contextlib.suppress(ImportError):
    import readline  # noqa: F401  (line editing and history for input())


class LineReader:
    def __init__(self) -> None:
        self._requests: queue.Queue[tuple[str, asyncio.AbstractEventLoop, asyncio.Future[str | None]]] = (
            queue.Queue()
        )
        self._thread = threading.Thread(target=self._run, name="console input", daemon=True)
        self._thread.start()

    async def read(self, prompt: str) -> str | None:
        """The next line, or None at end of input (Ctrl-D)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()
        self._requests.put((prompt, loop, future))
        return await future

    def _run(self) -> None:
        while True:
            prompt, loop, future = self._requests.get()
            try:
                line: str | None = input(prompt)
            except (EOFError, OSError):
                line = None
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, future, line)


def _resolve(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)
