"""`retention-bot doctor`: every check of a live setup, green or red, each problem with its fix."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from bot.cli.common import EXIT_RUNTIME, console, load_settings
from bot.clock import SystemClock
from bot.doctor import DEFAULT_TIMEOUT, Report, Status, diagnose

STYLES = {Status.OK: "green", Status.WARNING: "yellow", Status.FAILED: "bold red", Status.SKIPPED: "dim"}


def doctor(
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print one JSON object: the checks and whether all needed ones pass."),
    ] = False,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=0.5, help="Seconds to wait for each answer from Telegram, Slack."),
    ] = DEFAULT_TIMEOUT,
) -> None:
    """Check the settings, database, Telegram, Slack and time zone of this setup; exit 1 if anything
    needed is wrong."""
    settings = load_settings()  # bad values: one line and exit 2, as every command
    report = asyncio.run(diagnose(settings, SystemClock().now(), timeout=timeout))
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        render(report)
    raise typer.Exit(0 if report.ok else EXIT_RUNTIME)


def render(report: Report) -> None:
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column()
    for check in report.checks:
        style = STYLES[check.status]
        text = Text(check.detail)
        if check.fix:
            text.append("\nfix: ", style="bold")
            text.append(check.fix)
        table.add_row(Text(check.status.value, style=style), Text(check.name, style=style), text)
    console.print(table)
    failures = report.counts()[Status.FAILED]
    if failures:
        line = Text(
            f"{report.summary()}: fix what failed, then run `retention-bot doctor` again.", style="bold red"
        )
    else:
        line = Text(f"{report.summary()}: everything needed works.", style="bold green")
    console.print(line)
