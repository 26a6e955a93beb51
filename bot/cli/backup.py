"""`backup FILE` and `restore FILE`: the whole database, for a daily copy and a way back (SPEC §11)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import app_context, confirm_or_exit, console, fail
from storage.backup import BackupError, customer_count
from storage.backup import backup as write_backup
from storage.backup import restore as read_backup
from storage.schema import status

FileArg = Annotated[Path, typer.Argument(help="The backup file.", metavar="FILE")]


def backup(
    file: FileArg,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace FILE if it exists.")] = False,
) -> None:
    """Copy the whole database to FILE; the bot may keep running (SQLite online backup, or pg_dump)."""
    with app_context() as ctx:
        try:
            write_backup(ctx.engine, file, overwrite=overwrite)
        except BackupError as exc:
            fail(str(exc))
        size = file.stat().st_size
        console.print(f"Backed up {customer_count(ctx.engine)} customers to {file} ({size:,} bytes).")


def restore(
    file: FileArg,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a database that already holds customers.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before replacing.")] = False,
) -> None:
    """Restore FILE into DATABASE_URL (empty, or with --replace one with data). Stop the bot first."""
    with app_context() as ctx:
        held = customer_count(ctx.engine)
        if held and replace:
            confirm_or_exit(f"Replace the {held} customers in DATABASE_URL with the backup?", yes=yes)
        try:
            read_backup(ctx.engine, file, replace=replace)
        except BackupError as exc:
            fail(str(exc))
        schema = status(ctx.engine)
        console.print(f"Restored {customer_count(ctx.engine)} customers from {file}.")
        if not schema.up_to_date:
            console.print("The backup's schema is older than this version: run `retention-bot migrate` next.")
