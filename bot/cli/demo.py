"""`retention-bot demo`: what `make demo` runs (seed once, then the real bot against the sandboxes)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from sqlalchemy.exc import ArgumentError, OperationalError

from bot.cli.common import EXIT_RUNTIME, console, fail, load_settings
from bot.config.rules import RulesFileError
from bot.demo.database import DEMO_DATABASE_URL, shown_url
from bot.logsetup import configure_logging
from bot.services.errors import DomainError
from storage.schema import SchemaOutOfDate

if TYPE_CHECKING:
    from bot.demo.runner import Demo


def demo(
    console_mode: Annotated[
        bool, typer.Option("--console", help="Play both roles in this terminal instead of a browser.")
    ] = False,
    script: Annotated[
        Path | None,
        typer.Option(
            "--script",
            help="Replay a console script non-interactively and print the transcript.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="HTTP port (default HTTP_PORT; the console picks a free one)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", help="Log the bot's INFO lines too.")] = False,
    database_url: Annotated[
        str,
        typer.Option(
            "--database-url",
            metavar="URL",
            help="The demo's database (SQLAlchemy URL). DATABASE_URL is never used: that is the shop's. "
            "A database holding data the demo did not seed is refused.",
        ),
    ] = DEMO_DATABASE_URL,
) -> None:
    """Seed the demo's own database (./demo.db) once, then run the real bot against the built-in
    sandbox Telegram and Slack, with a playground page (or --console) to play a customer and a
    staff member."""
    from bot.demo.runner import PortInUse, prepare, run  # the whole bot: imported only for the demo

    settings = load_settings()
    configure_logging(settings, logging.INFO if verbose else logging.WARNING)
    in_terminal = console_mode or script is not None
    try:
        prepared = prepare(settings, 0 if in_terminal and port is None else port, database_url)
    except (PortInUse, RulesFileError, DomainError, SchemaOutOfDate) as exc:
        fail(str(exc))
    except ArgumentError as exc:
        fail(f"--database-url: {exc}")
    except OperationalError as exc:
        fail(
            f"cannot use the database {shown_url(database_url)}: {str(exc.orig).splitlines()[0]}",
            EXIT_RUNTIME,
        )
    except KeyboardInterrupt:
        fail("interrupted", 130)
    try:
        _summary(prepared)
        if in_terminal:
            from handlers.console.run import console_session

            interrupted = 130 if script is not None else 0  # Ctrl-C is how the interactive demo ends
            code = asyncio.run(
                run(prepared, _terminal_ready, console_session(script), interrupted=interrupted)
            )
        else:
            code = asyncio.run(run(prepared, _browser_ready))
            console.print("Stopped: the bot, both sandboxes and the HTTP server are down.")
    except KeyboardInterrupt:
        code = 130
    except Exception as exc:
        logging.getLogger("retention_bot.demo").exception("demo failed")
        fail(f"the demo failed: {type(exc).__name__}: {exc}", EXIT_RUNTIME)
    finally:
        prepared.ctx.close()
    if code:
        raise typer.Exit(code)


def _summary(prepared: Demo) -> None:
    summary = prepared.summary
    table = Table(title="retention-bot demo data", show_header=False)
    table.add_row("customers", f"{summary.customers:,}")
    table.add_row("purchases", f"{summary.purchases:,}")
    table.add_row("points outstanding", f"{summary.points_outstanding:,}")
    table.add_row("database", shown_url(prepared.ctx.settings.database_url))
    console.print(table)
    console.print("Seeded just now." if summary.seeded_now else "Already seeded; nothing was added.")


def _parts(prepared: Demo) -> str:
    status = prepared.runtime.status
    return " · ".join(f"{part} {status.get(part, 'off')}" for part in ("telegram", "slack", "scheduler"))


def _browser_ready(prepared: Demo) -> None:
    first = prepared.cast.customers[0]
    admin = prepared.cast.admin
    console.print(
        f"\n[bold]retention-bot demo[/] — the real bot against the built-in sandbox Telegram and Slack "
        f"({_parts(prepared)}).\n\n"
        f"  open [bold cyan]{prepared.url}[/]\n\n"
        "  Try first:\n"
        f"   1. Phone (left): you are {first.name}. Press Start, share your phone, then send /points.\n"
        f"   2. Slack (right): you are {admin.display_name} (admin). Type  /crm find {first.customer_id}\n"
        f"   3. Type  /crm survey {first.customer_id}  then answer 3 on the phone and give a reason:\n"
        f"      the alert lands in #{prepared.cast.channel_name}; Reply to customer, then Resolve.\n"
        "   The strip at the top runs the digest, sends a survey campaign, sells 25.00 at the till\n"
        "   (through the API: a linked phone hears the points) and moves the clock a day.\n\n"
        "  Ctrl-C stops everything.\n",
        highlight=False,
        soft_wrap=True,
    )


def _terminal_ready(prepared: Demo) -> None:
    console.print(
        f"[dim]demo running ({_parts(prepared)}); playground also at {prepared.url}[/]",
        highlight=False,
        soft_wrap=True,
    )
