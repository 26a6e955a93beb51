"""Long polling that confirms an update to Telegram only once it is handled.

Telegram's getUpdates confirms every update below the `offset` it is called with, and redelivers
the others. python-telegram-bot's Updater confirms a batch with its next call, at once, before
the batch is handled: a crash then loses what it had fetched. This poller asks from the oldest
update still being handled (the processor reports each one `done`, after its claim is committed),
so after a crash Telegram redelivers every update whose effect was not committed; the gate stops
the ones that were (handlers/telegram/gate.py).

Asking from the oldest update in hand returns the ones in hand again. They are skipped, and the
poller only asks again when half a batch of room has been confirmed (or, with nothing new coming,
after a short pause), so re-reading them costs little. An update still in hand after
`STUCK_AFTER` seconds is confirmed anyway, so one stuck handler never stops the bot hearing the
others (its at-least-once guarantee then rests on its own claim).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Final

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from handlers.telegram.context import TelegramApp

log = logging.getLogger(__name__)

LIMIT: Final = 100
"""Updates per getUpdates (Telegram's maximum)."""
ROOM: Final = LIMIT // 2
"""Ask again once this many of the updates in hand were confirmed."""
PAUSE: Final = 0.25
"""With only updates in hand coming back, wait this long (or for one to be done) before asking again."""
STUCK_AFTER: Final = 30.0
"""An update in hand for this long is confirmed anyway."""


class Poller:
    def __init__(
        self, application: TelegramApp, *, timeout: int, allowed_updates: Sequence[str] | None
    ) -> None:
        self._application = application
        self._timeout = timeout
        self._allowed = list(allowed_updates) if allowed_updates is not None else None
        self._next = 0
        """The id after the newest update fetched (0: none yet, ask from the oldest Telegram keeps)."""
        self._in_hand: dict[int, float] = {}
        """Fetched and not yet done: update id → when it was fetched."""
        self._progress = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._running = False

    def done(self, update: object) -> None:
        """The processor's report: this update is handled (its claim committed)."""
        if isinstance(update, Update) and self._in_hand.pop(update.update_id, None) is not None:
            self._progress.set()

    def offset(self) -> int:
        """Confirm everything below the oldest update still in hand (or everything fetched)."""
        now = time.monotonic()
        for update_id, since in sorted(self._in_hand.items()):
            if now - since < STUCK_AFTER:
                return update_id
            log.warning("update %s still in hand after %.0f s: confirming it", update_id, now - since)
            del self._in_hand[update_id]
        return self._next

    async def start(self) -> None:
        await self._application.bot.delete_webhook()
        self._running = True
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="telegram-polling")

    async def stop(self) -> None:
        self._running = False  # a cancelled request may come back as a network error, not a cancel
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def confirm(self) -> None:
        """On a clean stop, after the handling ended: confirm what was handled (no long poll)."""
        if self._next == 0:
            return
        try:
            await self._application.bot.get_updates(
                offset=self.offset(), timeout=0, limit=1, allowed_updates=self._allowed
            )
        except TelegramError as exc:  # the gate stops them when they come back
            log.info("could not confirm the last updates (they will come back and be skipped): %s", exc)

    async def _loop(self) -> None:
        queue = self._application.update_queue
        failures = 0
        while self._running:
            try:
                updates = await self._application.bot.get_updates(
                    offset=self.offset() or None,
                    timeout=self._timeout,
                    limit=LIMIT,
                    allowed_updates=self._allowed,
                )
            except InvalidToken as exc:
                log.error("polling stopped: %s", exc)
                return
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except TelegramError as exc:  # a network error, 5xx, or 409 (another poller, a webhook)
                if not self._running:
                    return
                failures += 1
                log.warning("getUpdates failed (%s); trying again", exc)
                await asyncio.sleep(min(0.5 * 2**failures, 30.0))
                continue
            failures = 0
            if not self._running:
                return  # what this call fetched stays unconfirmed: it comes again next time
            now = time.monotonic()
            fresh = [update for update in updates if update.update_id >= self._next]
            for update in fresh:
                self._in_hand[update.update_id] = now
                await queue.put(update)
            if fresh:
                self._next = fresh[-1].update_id + 1
            if self._in_hand and not (fresh and self._span() <= ROOM):
                await self._wait_for_room()

    def _span(self) -> int:
        """How many updates the next getUpdates returns again (those from the oldest in hand on)."""
        return self._next - self.offset() if self._in_hand else 0

    async def _wait_for_room(self) -> None:
        """Until something was done and at most half a batch is in hand, or for a short pause."""
        deadline = time.monotonic() + PAUSE
        progressed = False
        while self._in_hand:
            if progressed and self._span() <= ROOM:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), left)
            except TimeoutError:
                return
            progressed = True


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
