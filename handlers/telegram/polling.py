"""Long polling that confirms an update to Telegram only once it is handled.

Telegram's getUpdates confirms every update below the `offset` it is called with, and redelivers
the others. python-telegram-bot's Updater confirms a batch with its next call, at once, before
the batch is handled: a crash then loses what it had fetched. This poller asks from the oldest
update still being handled (the processor reports each one `done`, after its claim is committed),
so after a crash Telegram redelivers every update whose effect was not committed; the gate stops
the ones that were (handlers/telegram/gate.py).

Asking from the oldest update in hand returns the ones in hand again. They are skipped before they
are parsed, and the poller asks again only when at most half a batch is in hand (after nothing new
came: when one is done, or after a short pause), so re-reading them costs little. An update still
in hand after `STUCK_AFTER` seconds is confirmed anyway, so one stuck handler never stops the bot
hearing the others (its at-least-once guarantee then rests on its own claim).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from typing import Any, Final

from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError

from handlers.telegram.context import TelegramApp

log = logging.getLogger(__name__)

LIMIT: Final = 100
"""Updates per getUpdates (Telegram's maximum)."""
ROOM: Final = LIMIT // 2
"""Ask again once at most this many updates are in hand."""
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

    async def _fetch(self) -> list[dict[str, Any]]:
        """getUpdates from the oldest update in hand, as JSON: the ones in hand come back and are
        skipped before python-telegram-bot parses them (`Bot.get_updates` would parse them all)."""
        bot = self._application.bot
        data: dict[str, Any] = {"timeout": self._timeout, "limit": LIMIT, "allowed_updates": self._allowed}
        offset = self.offset()
        if offset:
            data["offset"] = offset
        read_timeout = (bot.request.read_timeout or 0) + self._timeout  # as Bot.get_updates does
        result = await bot._post("getUpdates", data, read_timeout=read_timeout)  # the JSON, unparsed
        return [item for item in result if isinstance(item, dict)] if isinstance(result, list) else []

    async def _loop(self) -> None:
        queue = self._application.update_queue
        bot = self._application.bot
        failures = 0
        while self._running:
            try:
                fetched = await self._fetch()
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
            fresh = [item for item in fetched if int(item.get("update_id", -1)) >= self._next]
            for item in fresh:
                update = Update.de_json(item, bot)
                bot.insert_callback_data(update)
                self._in_hand[update.update_id] = now
                await queue.put(update)
            if fresh:
                self._next = int(fresh[-1]["update_id"]) + 1
            if self._in_hand and not (fresh and len(self._in_hand) <= ROOM):
                await self._wait_for_room(bool(fresh))

    async def _wait_for_room(self, got_new: bool) -> None:
        """After new updates: until at most half a batch is in hand. After none (only the ones in
        hand came back): until one is done. Either way for a short pause at most."""
        deadline = time.monotonic() + PAUSE
        while self._in_hand:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._progress.clear()
            try:
                await asyncio.wait_for(self._progress.wait(), left)
            except TimeoutError:
                return
            if not got_new or len(self._in_hand) <= ROOM:
                return


def _seconds(value: object) -> float:
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]
