"""A campaign sender's id, and telling a sender that was killed on this machine from a living one."""

from __future__ import annotations

import subprocess
import sys

from bot.senders import new_sender_id, sender_is_gone


def as_if(pid: int) -> str:
    """This machine's id, with another process's pid."""
    role_host_ns, _pid, token = new_sender_id("cli").rsplit("/", 2)
    return f"{role_host_ns}/{pid}/{token}"


def test_a_killed_sender_on_this_machine_is_gone_and_a_running_one_is_not() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not sender_is_gone(as_if(child.pid))
        child.kill()
        child.wait()
        assert sender_is_gone(as_if(child.pid))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_only_a_sender_known_to_have_exited_counts_as_gone() -> None:
    mine = new_sender_id("telegram")
    assert mine.startswith("telegram@") and mine != new_sender_id("telegram")
    assert not sender_is_gone(mine)  # this process
    assert not sender_is_gone("cli@another-host/4026531836/12345/ab12cd34")  # cannot tell: alive
    assert not sender_is_gone("dead-cli")  # not an id of ours: alive
