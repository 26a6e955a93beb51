"""Who is sending a survey campaign: an id that names this process, and whether the process behind
another such id is known to be gone.

A campaign's sender lease expires on its own (bot/services/campaign_lease.py); this only lets a
`survey resume` on the same machine take over at once from a sender that was killed, instead of
waiting for the lease to run out. Anything it cannot be sure about counts as alive.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
from typing import Final

_ID: Final = re.compile(r"^(?P<role>[^@]*)@(?P<host>[^/]*)/(?P<ns>[^/]*)/(?P<pid>\d+)/[0-9a-f]+$")


def _pid_namespace() -> str:
    """Pids are only comparable inside one pid namespace (two containers may share a hostname)."""
    try:
        return os.readlink("/proc/self/ns/pid").removeprefix("pid:").strip("[]")
    except OSError:
        return ""


def new_sender_id(role: str) -> str:
    """A fresh id for one sender in this process: role@host/pid-namespace/pid/random."""
    host = socket.gethostname()[:40].replace("/", "_")
    return f"{role[:16]}@{host}/{_pid_namespace()}/{os.getpid()}/{secrets.token_hex(4)}"


def sender_is_gone(sender_id: str) -> bool:
    """True only if the sender was a process on this machine (same pid namespace) that has exited."""
    found = _ID.match(sender_id)
    namespace = _pid_namespace()
    if found is None or not namespace:
        return False
    if found["host"] != socket.gethostname()[:40].replace("/", "_") or found["ns"] != namespace:
        return False
    pid = int(found["pid"])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # someone else's process with that pid: alive
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """A killed process its parent has not reaped yet: it cannot send anything any more."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
