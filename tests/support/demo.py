"""`retention-bot demo` as a user runs it: a real process, in a fresh directory, with its own database
(`./demo.db` in that directory, the demo's default)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLATFORM_VARIABLES = (
    "DATABASE_URL",
    "HTTP_PORT",
    "HTTP_HOST",
    "RETENTION_CONFIG",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_BASE_URL",
    "SLACK_TEAM_CHANNEL",
    "SLACK_ADMIN_USER_IDS",
)


def demo_env(directory: Path) -> dict[str, str]:
    """The caller's environment minus anything pointing the bot elsewhere (run with cwd=`directory`,
    the demo keeps its database there)."""
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    env["PYTHONPATH"] = str(REPO)
    env["COLUMNS"] = "120"
    return env


def demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", "demo", *args]


@dataclass
class DemoProcess:
    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)


@contextmanager
def running_demo(directory: Path, port: int, *, start_timeout: float = 120) -> Iterator[DemoProcess]:
    """Start the browser demo on `port`; stop it with Ctrl-C (SIGINT) afterwards, as a person would.

    After the block, `process.returncode` and `lines` (all of stdout) are there to assert on.
    """
    process = subprocess.Popen(
        demo_command("--port", str(port)),
        cwd=directory,
        env=demo_env(directory),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    received: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            received.put(line)
        received.put(None)

    threading.Thread(target=pump, daemon=True).start()
    demo = DemoProcess(process, url="")
    try:
        while not demo.url:
            try:
                line = received.get(timeout=start_timeout)
            except queue.Empty:
                raise AssertionError(f"the demo printed no URL within {start_timeout} s") from None
            if line is None:
                raise AssertionError("the demo stopped before it was ready:\n" + "".join(demo.lines))
            demo.lines.append(line)
            if "open http://" in line:
                demo.url = line.split("open ", 1)[1].strip()
        yield demo
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        while (line := received.get(timeout=5)) is not None:
            demo.lines.append(line)
        print("".join(demo.lines))  # pytest shows it when the test fails
