"""Running a service from a handler: `ctx.call`, with SQLite's one writer as one thread, and what
the bot said logged on the way.

Every SQLite transaction takes the write lock up front (BEGIN IMMEDIATE), so two at once only make
the second wait in SQLite's busy handler, which sleeps up to 100 ms between retries. Here they queue
for one worker thread instead, and each starts the moment the previous one ends: the queue lives in
the thread, not in the event loop, so a busy loop (sending replies) does not stretch the time the
write lock is held. PostgreSQL runs them side by side in the default pool. The events a service
records go to the outbox in its transaction (storage/uow.py); the outbox sender delivers them.

Outbound messages are logged with the next service call, in its transaction (a thread and a
transaction of their own would compete with the event loop for the GIL and hold the write lock
meanwhile), or after `idle_flush` seconds when no call comes. A crash can lose that fraction of a
second of the timeline of replies, never a customer's own message or anything the contact rules
count.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError

from bot.context import AppContext
from bot.services.customer_chat import OutboundNote, log_outbound
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


class ServiceCalls:
    def __init__(self, ctx: AppContext, *, idle_flush: float = 0.5) -> None:
        self.ctx = ctx
        self._sqlite = ctx.settings.database_url.startswith("sqlite")
        self._one_writer: ThreadPoolExecutor | None = None
        self._idle_flush = idle_flush
        self._notes: list[OutboundNote] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(
        self, service: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """The service's result (the events it recorded are in the outbox once it committed)."""
        uow = self.ctx.uow()
        notes, self._notes = self._notes, []

        def run() -> T:
            if not notes:
                return service(uow, *args, **kwargs)
            try:
                with uow:  # the service joins this transaction: one commit for both
                    log_outbound(uow, self.ctx.clock, notes)
                    return service(uow, *args, **kwargs)
            except BaseException:
                self._write(notes)  # rolled back with the failed service: log them on their own
                raise

        if not self._sqlite:
            result = await asyncio.to_thread(run)
        else:
            if self._one_writer is None:
                self._one_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
            in_context = functools.partial(contextvars.copy_context().run, run)
            result = await asyncio.get_running_loop().run_in_executor(self._one_writer, in_context)
        return result

    def note(self, note: OutboundNote) -> None:
        """Log something the bot said, with the next service call."""
        self._notes.append(note)
        if self._flusher is None or self._flusher.done():
            # A context of its own: the flush is no update's effect and must not carry its claim.
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush_later(), name="telegram-journal", context=contextvars.Context()
            )

    async def flush(self) -> None:
        """Log what is still waiting."""
        if self._notes:
            await self(_nothing)

    async def close(self) -> None:
        """On stop: log what is waiting now rather than after the idle delay, and end the writer thread."""
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
        await self.flush()
        if self._one_writer is not None:
            self._one_writer.shutdown(wait=False)
            self._one_writer = None

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._idle_flush)
        await self.flush()

    def _write(self, notes: list[OutboundNote]) -> None:
        if not notes:
            return
        try:
            log_outbound(self.ctx.uow(), self.ctx.clock, notes)
        except SQLAlchemyError:  # the customer's request goes on; only the reply's timeline entry is lost
            log.exception("could not log %d outbound Telegram messages on the timeline", len(notes))


def _nothing(uow: UnitOfWork) -> None:
    """A service call that only carries the waiting timeline entries."""
