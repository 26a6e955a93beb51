"""Flood control like Telegram's: an overall and a per-chat token bucket, 429 with retry_after past them.

Defaults: 30 messages/s overall with a burst of 30 (Telegram's broadcast limit), and 1 message/s
per chat with a burst of 3 — Telegram tolerates short bursts in a private chat (a reply plus a
follow-up or two) but answers a sustained stream with "Too Many Requests: retry after N".
Only sent messages count (send*, not edits, chat actions or callback answers).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FloodLimits:
    """Rates in messages per second; None switches a limit off."""

    overall_per_second: float | None = 30.0
    overall_burst: int = 30
    per_chat_per_second: float | None = 1.0
    per_chat_burst: int = 3

    @classmethod
    def unlimited(cls) -> FloodLimits:
        return cls(overall_per_second=None, per_chat_per_second=None)


class _Bucket:
    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate = rate
        self.capacity = float(capacity)
        self.tokens = float(capacity)
        self.stamp = now

    def wait_needed(self, now: float) -> float:
        """Seconds until one token is available (0 if one is available now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class FloodControl:
    """Decides whether a send to a chat is allowed now; not thread-safe (the state lock guards it)."""

    def __init__(self, limits: FloodLimits, monotonic: Callable[[], float]) -> None:
        self.limits = limits
        self._monotonic = monotonic
        self._overall: _Bucket | None = None
        self._chats: dict[int, _Bucket] = {}
        self.reset(limits)

    def reset(self, limits: FloodLimits | None = None) -> None:
        if limits is not None:
            self.limits = limits
        now = self._monotonic()
        rate = self.limits.overall_per_second
        self._overall = None if rate is None else _Bucket(rate, self.limits.overall_burst, now)
        self._chats = {}

    def retry_after(self, chat_id: int) -> int | None:
        """None and one token spent if the send may go; otherwise whole seconds to wait (at least 1)."""
        now = self._monotonic()
        buckets = [b for b in (self._overall, self._chat_bucket(chat_id, now)) if b is not None]
        wait = max((b.wait_needed(now) for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return None

    def _chat_bucket(self, chat_id: int, now: float) -> _Bucket | None:
        rate = self.limits.per_chat_per_second
        if rate is None:
            return None
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = _Bucket(rate, self.limits.per_chat_burst, now)
        return bucket
