"""A test seam for crash tests, inert unless RETENTION_BOT_CRASH_AT is set in the environment.

`crash_point("name")` kills its own process with SIGKILL (no cleanup, as `kill -9` or a power cut)
the N-th time the named point is passed, when RETENTION_BOT_CRASH_AT is "name" (the first time) or
"name:N". It lets a test stop the real `retention-bot run` at an exact place (between an update's
receipt and its effect, tests/e2e/test_inbound_crash_process.py). It is not a setting: nothing in
the Settings or the README names it, and no shop has a reason to set it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from functools import cache

VARIABLE = "RETENTION_BOT_CRASH_AT"

_passes: dict[str, int] = {}
_lock = threading.Lock()


@cache
def _target() -> tuple[str, int] | None:
    wanted = os.environ.get(VARIABLE, "").strip()
    if not wanted:
        return None
    name, _, count = wanted.partition(":")
    return name, int(count) if count.strip().isdigit() else 1


def crash_point(name: str) -> None:
    """SIGKILL this process here, if RETENTION_BOT_CRASH_AT names this point (and this pass)."""
    target = _target()
    if target is None or target[0] != name:
        return
    with _lock:
        _passes[name] = passed = _passes.get(name, 0) + 1
    if passed == target[1]:
        print(f"crash point {name} (pass {passed}): SIGKILL", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
