"""Updates of different chats are handled concurrently; updates of one chat strictly in order.

A conversation is a sequence (a score before its reason, the first tap before the second), so
one chat's updates wait for each other; other chats need not wait, which keeps the database and
the Bot API busy at once instead of in turn. PTB's own `concurrent_updates=True` has no such
per-chat order.

Each update is handled in a context of its own that carries its claim (storage/inbound_claim.py):
the gate sets it, the first service call that commits an effect commits it, and an update that
changed nothing has it recorded here at its end (`record`). Only then is the update `done`: the
poller confirms it to Telegram (handlers/telegram/polling.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.metrics import PlatformMetrics
from bot.services.inbound import InboundClaim, carrying, current_claim

Observer = Callable[[float], None]
Recorder = Callable[[InboundClaim], Awaitable[None]]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """At most `concurrency` updates at a time, one at a time per chat, in arrival order.

    PTB's semaphore (first argument) is kept large, so the order is decided by the per-chat lock,
    which asyncio grants first come, first served; the concurrency limit is taken after it.
    """

    def __init__(
        self, concurrency: int = 32, *, observe: Observer | None = None, counts: PlatformMetrics | None = None
    ) -> None:
        super().__init__(max_concurrent_updates=1_000_000)
        self._limit = asyncio.Semaphore(concurrency)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}
        self._observe = observe
        self._counts = counts
        self.record: Recorder | None = None
        """Records the claim of an update that committed nothing of its own (set by the gate)."""
        self.done: Callable[[object], None] | None = None
        """Called when an update is handled and its claim recorded (set by the poller)."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        lock, users = self._chats.get(key, (asyncio.Lock(), 0))
        self._chats[key] = (lock, users + 1)
        try:
            async with lock:
                async with self._limit:
                    started = time.perf_counter()
                    with carrying(None):  # this update's own slot: the gate fills it
                        await coroutine
                        claim = current_claim()
                # Outside the limit: waiting for the next group commit takes no other update's turn.
                if claim is not None and claim.pending and self.record is not None:
                    await self.record(claim)
                if self._observe is not None:
                    self._observe(time.perf_counter() - started)
        finally:
            if self.done is not None:
                self.done(update)
            if self._counts is not None:  # every update once (webhook or polling), replays included
                self._counts.update_handled()
            lock, users = self._chats[key]
            if users <= 1:
                del self._chats[key]
            else:
                self._chats[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _chat_key(update: object) -> int:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return 0
