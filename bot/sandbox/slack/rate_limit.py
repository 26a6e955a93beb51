"""Per-method request budgets answered with HTTP 429 and Retry-After, as Slack's tiers are."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Mapping

WINDOW = 60.0


class RateLimiter:
    """Sliding one-minute windows per (method, token); the default is high so tests are not slowed."""

    def __init__(
        self,
        clock: Callable[[], float],
        default_per_minute: int = 6000,
        per_method: Mapping[str, int] | None = None,
    ) -> None:
        self._clock = clock
        self._default = default_per_minute
        self._limits = dict(per_method or {})
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def set_limit(self, method: str, per_minute: int) -> None:
        with self._lock:
            self._limits[method] = per_minute

    def retry_after(self, method: str, key: str) -> int | None:
        """None and count the call when within budget, else the whole seconds until a slot frees up."""
        now = self._clock()
        with self._lock:
            calls = self._calls.setdefault((method, key), deque())
            while calls and calls[0] <= now - WINDOW:
                calls.popleft()
            if len(calls) >= self._limits.get(method, self._default):
                return max(1, math.ceil(calls[0] + WINDOW - now)) if calls else int(WINDOW)
            calls.append(now)
            return None
