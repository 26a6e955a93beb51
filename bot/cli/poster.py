"""`poster`: the printable counter poster (SPEC §9): the shop's name, a QR code of the bot's join link
and one line on what customers get, in English, Simplified and Traditional Chinese.

The bot's username comes from Telegram (getMe with TELEGRAM_BOT_TOKEN) unless `--bot-username`
names it, so a poster can be made on a machine without the token.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import EXIT_RUNTIME, fail, load_settings
from bot.poster.fonts import FontMissing
from bot.poster.render import Format, counter_poster, join_link, valid_username
from handlers.slack.telegram_bot import TelegramBotName

DEFAULT_OUT = Path("poster.png")
FORMATS: dict[str, Format] = {".png": "png", ".pdf": "pdf"}

OutOpt = Annotated[
    Path,
    typer.Option(
        "--out",
        metavar="FILE.png|FILE.pdf",
        help="Where to write the poster; the extension picks the format.",
    ),
]
UsernameOpt = Annotated[
    str | None,
    typer.Option(
        "--bot-username",
        metavar="NAME",
        help="The Telegram bot's username (without @); default: ask Telegram with TELEGRAM_BOT_TOKEN.",
    ),
]


def poster(out: OutOpt = DEFAULT_OUT, bot_username: UsernameOpt = None) -> None:
    """Make the printable counter poster: shop name, QR code of the bot's join link, what members get."""
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        fail(f"--out must end in .png or .pdf, got {out.name!r}")
    if out.is_dir() or not out.parent.exists():
        fail(f"--out: cannot write {out} (no such directory or it is a directory)")
    settings = load_settings()
    if bot_username is not None:
        username = bot_username.strip().removeprefix("@")
        if not valid_username(username):
            fail(f"--bot-username: {bot_username!r} is not a Telegram username (5-32 of A-Z a-z 0-9 _)")
    elif settings.telegram_bot_token is None:
        fail("TELEGRAM_BOT_TOKEN is not set: set it, or pass --bot-username NAME")
    else:
        asked = asyncio.run(TelegramBotName(settings).get())
        if asked is None:
            fail(
                "could not ask Telegram for the bot's username (getMe failed); or pass --bot-username NAME",
                EXIT_RUNTIME,
            )
        username = asked
    try:
        data = counter_poster(
            settings.business_name, username, fmt, default_language=settings.default_language
        )
    except FontMissing as exc:
        fail(str(exc))
    out.write_bytes(data)
    typer.echo(f"Wrote the counter poster to {out} ({fmt.upper()}); its QR code opens {join_link(username)}")
