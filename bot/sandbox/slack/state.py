"""The shared in-memory store behind the fake Web API and the driver.

The server may run in its own thread while tests read from theirs, so every access goes through
one lock, and waiters are woken with `call_soon_threadsafe` on whatever loop they wait in.
"""

from __future__ import annotations

import asyncio
import random
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from bot.sandbox.slack.models import Channel, User, UserGroup, Workspace
from bot.sandbox.slack.records import Ephemeral, Message, ResponseUrl, StoredFile, Trigger, View

T = TypeVar("T")
_ID_CHARS = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Delay:
    """How late one Web API method answers (real seconds: a client's timeout must be able to fire)."""

    seconds: float
    acts_first: bool = True
    """Slack does the work at once and only the answer is late, so a client that gives up cannot
    tell "posted" from "lost"; False holds the request before Slack acts on it."""


class SandboxState:
    """Users, channels, messages, views and the tokens Slack hands out, plus a movable clock."""

    def __init__(
        self, workspace: Workspace | None = None, clock: Callable[[], float] = time.time, *, id_seed: int = 0
    ) -> None:
        self.ws = workspace or Workspace()
        self._clock = clock
        self._offset = 0.0
        self._lock = threading.RLock()
        self._rand = random.Random(id_seed)  # the same seed, the same ids: failing runs compare
        self._seq = 0
        self._last_ts: dict[str, int] = {}
        self._watchers: set[Callable[[], None]] = set()
        self.version = 0
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, UserGroup] = {}
        self.messages: dict[str, list[Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, View] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.files: dict[str, StoredFile] = {}
        self.upload_tickets: dict[str, str] = {}
        self.delays: dict[str, Delay] = {}
        self.api_calls: list[tuple[str, str | None]] = []
        """Every authenticated Web API call in order: (method, Slack's error or None when ok)."""
        self.users[self.ws.bot_user_id] = User(
            id=self.ws.bot_user_id, name=self.ws.bot_name, real_name=self.ws.bot_name, is_bot=True
        )

    # --- time, ids, change notification -------------------------------------------------
    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock (trigger and response_url expiry, rate windows, message ts)."""
        with self.locked():
            self._offset += seconds

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the lock for a mutation, then wake every waiter once it is released."""
        with self._lock:
            version = self.version
            yield
            changed = self.version != version
            watchers = list(self._watchers) if changed else []
        for wake in watchers:
            wake()

    def touch(self) -> None:
        """Record that something visible changed (call inside `locked`)."""
        self.version += 1

    def new_id(self, prefix: str, length: int = 10) -> str:
        with self._lock:
            return prefix + "".join(self._rand.choice(_ID_CHARS) for _ in range(length))

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def next_ts(self, channel: str) -> str:
        """A message ts unique and increasing within `channel`, derived from the sandbox clock."""
        with self._lock:
            micros = max(int(self.now() * 1_000_000), self._last_ts.get(channel, 0) + 1)
            self._last_ts[channel] = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    async def wait_until(self, check: Callable[[], T | None], within: float, what: str) -> T:
        """Return the first non-None `check()` result, re-checking on every change, or raise TimeoutError."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(event.set)

        with self._lock:
            self._watchers.add(wake)
        deadline = loop.time() + within
        try:
            while True:
                event.clear()
                with self._lock:
                    result = check()
                if result is not None:
                    return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"sandbox Slack: no {what} within {within:g}s")
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    continue  # checked once more above, then reported with context
        finally:
            with self._lock:
                self._watchers.discard(wake)

    # --- lookups -----------------------------------------------------------------------
    def find_channel(self, ref: str) -> Channel | None:
        """Resolve a channel id, `#name`, bare name, or user id (meaning the app's DM with them)."""
        with self._lock:
            if ref in self.channels:
                return self.channels[ref]
            if ref.startswith(("U", "W")) and ref in self.users:
                return self.dm_channel(ref)
            name = ref.removeprefix("#")
            return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def dm_channel(self, user_id: str) -> Channel:
        """The app's direct-message channel with `user_id`, opened on first use."""
        with self.locked():
            for channel in self.channels.values():
                if channel.is_im and channel.im_user == user_id:
                    return channel
            channel = Channel(
                id=self.new_id("D"), name=user_id, is_im=True, members={user_id}, im_user=user_id
            )
            self.channels[channel.id] = channel
            self.messages[channel.id] = []
            self.touch()
            return channel

    def find_message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            return next((m for m in self.messages.get(channel, []) if m.ts == ts), None)

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        with self._lock:
            return [
                m for m in self.messages.get(channel, []) if m.thread_ts == thread_ts and m.ts != thread_ts
            ]

    def message_json(self, message: Message) -> dict[str, object]:
        """A message as the API shows it, with thread counters when it is a thread parent."""
        with self._lock:
            is_parent = message.thread_ts in (None, message.ts)
            return message.to_json(self.replies(message.channel, message.ts) if is_parent else None)

    def add_message(self, message: Message) -> Message:
        with self.locked():
            self.messages.setdefault(message.channel, []).append(message)
            self.touch()
        return message

    def find_ephemeral(self, user: str, ts: str) -> Ephemeral | None:
        with self._lock:
            return next((e for e in self.ephemerals if e.user == user and e.ts == ts and not e.deleted), None)

    def view_for(self, view_id: str | None, external_id: str | None) -> View | None:
        with self._lock:
            if view_id:
                return self.views.get(view_id)
            if external_id:
                return next(
                    (v for v in self.views.values() if v.definition.get("external_id") == external_id), None
                )
            return None
