"""The two ways to play: typing at a prompt (`--console`), or replaying a script (`--script FILE`)."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console

from bot.demo.runner import Demo
from handlers.console.input import LineReader
from handlers.console.session import ConsoleSession, Stop


async def replay(console: ConsoleSession, lines: list[str]) -> int:
    """Each line echoed, then done; exit 1 at the first unmet `:expect`."""
    console.who()
    await console.settle(0)
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        console.say(f"» {line.strip()}", "bold")
        try:
            if not await console.execute(line):
                return 1
        except Stop:
            break
    return 0


async def interactive(console: ConsoleSession) -> int:
    """A prompt until :quit or Ctrl-D; an empty line shows what arrived meanwhile."""
    console.say(
        "You play a customer in Telegram and a staff member in Slack. :help lists what you can do.", ""
    )
    console.who()
    reader = LineReader()
    await console.settle(0)
    while (line := await reader.read(console.prompt())) is not None:
        try:
            await console.execute(line)
        except Stop:
            break
        if not line.strip():
            await console.settle(0)
    return 0


def console_session(script: Path | None) -> Callable[[Demo], Awaitable[int]]:
    """The session the demo runner starts once everything is up."""
    lines = script.read_text(encoding="utf-8").splitlines() if script is not None else None

    async def session(demo: Demo) -> int:
        console = ConsoleSession(demo, Console(file=sys.stdout, highlight=False, emoji=False))
        return await (interactive(console) if lines is None else replay(console, lines))

    return session
