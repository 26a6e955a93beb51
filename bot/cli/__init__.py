"""The `retention-bot` command: one thin function per subcommand, calling the same services as the bots."""

from bot.cli.app import app, main

__all__ = ["app", "main"]
