"""`import`, `export` and `forget`: moving customer data in and out."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.cli.common import app_context, confirm_or_exit, console, err_console, fail
from bot.context import AppContext
from bot.importing import ImportFileError, ImportResult, read_customers, read_purchases
from bot.importing.dates import check_date_format
from bot.services import imports
from bot.services.customers import find_customer
from bot.services.erasure import forget_customer
from bot.services.privacy import export_json
from storage.db import checkpoint_sqlite
from storage.schema import require_current

R = TypeVar("R")

import_app = typer.Typer(help="Import customers or purchases from CSV or XLSX.", no_args_is_help=True)
export_app = typer.Typer(help="Export a customer's full data as JSON.", no_args_is_help=True)
forget_app = typer.Typer(help="Erase a customer's personal data.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="CSV or XLSX file; the header is line 1.")]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", help="Text encoding of a CSV (gbk, big5, …); default UTF-8.")
]
MapOpt = Annotated[
    list[str] | None, typer.Option("--map", help="Rename a column: --map 'Mobile=phone'. Repeatable.")
]
SkipOpt = Annotated[bool, typer.Option("--skip-bad-rows", help="Import the good rows even if some are bad.")]
DateFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        metavar="FORMAT",
        help="How the file writes dates, as strptime does: %m/%d/%Y (US), %d/%m/%Y, %d.%m.%Y … "
        "Without it, ISO dates are read and 01/05/2024-style dates only when the file shows their order.",
    ),
]


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs or []:
        header, sep, field = pair.partition("=")
        if not sep or not header.strip() or not field.strip():
            fail(f"--map takes header=field, got {pair!r}")
        mapping[header.strip()] = field.strip()
    return mapping


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )


def _date_format(value: str | None) -> str | None:
    """The --date-format as given, or exit 2 with one line when it cannot read dates."""
    if value is None:
        return None
    try:
        return check_date_format(value)
    except ValueError as exc:
        fail(str(exc))


def _report_bad_rows(path: Path, bad_rows: list[tuple[int, str]], good: int, skip: bool) -> None:
    for line, reason in bad_rows[:50]:
        err_console.print(f"{path.name}: line {line}: {reason}", markup=False, highlight=False)
    if len(bad_rows) > 50:
        err_console.print(f"… and {len(bad_rows) - 50} more bad rows", markup=False)
    if bad_rows and not skip:
        fail(
            f"{len(bad_rows)} bad row(s) in {path.name}; nothing was imported "
            f"(fix them, or pass --skip-bad-rows to import the {good} good row(s))"
        )


def _today(ctx: AppContext) -> date:
    return ctx.clock.now().astimezone(ctx.settings.tz).date()


def _checked(file: Path, result: ImportResult[R], skip_bad_rows: bool) -> list[R]:
    """The good records, after reporting warnings and bad rows (exit 2 on bad rows without --skip)."""
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", markup=False)
    bad = [(row.line, row.reason) for row in result.bad_rows]
    _report_bad_rows(file, bad, len(result.records), skip_bad_rows)
    return [record for _, record in result.records]


@import_app.command("customers")
def import_customers_command(
    file: FileArg,
    encoding: EncodingOpt = None,
    map_: MapOpt = None,
    skip_bad_rows: SkipOpt = False,
    date_format: DateFormatOpt = None,
) -> None:
    """Customers by their id: customer_id (required), name, phone, email, birthday, language, tags."""
    birthday_format = _date_format(date_format)
    with app_context() as ctx:
        require_current(ctx.engine)
        try:
            result = read_customers(
                file,
                encoding=encoding,
                mapping=_mapping(map_),
                default_region=ctx.settings.default_phone_region,
                date_format=birthday_format,
                today=_today(ctx),
            )
        except ImportFileError as exc:
            fail(str(exc))
        records = _checked(file, result, skip_bad_rows)
        with _progress() as progress:
            task = progress.add_task("Saving customers", total=len(records))
            counts = imports.import_customers(
                ctx.uow(), ctx.clock, records, progress=lambda n: progress.update(task, completed=n)
            )
        _print_counts("customers", counts, len(result.bad_rows))


AwardOpt = Annotated[
    bool, typer.Option("--award-points", help="Credit loyalty points for these purchases (default: none).")
]


@import_app.command("purchases")
def import_purchases_command(
    file: FileArg,
    encoding: EncodingOpt = None,
    map_: MapOpt = None,
    skip_bad_rows: SkipOpt = False,
    award_points: AwardOpt = False,
    date_format: DateFormatOpt = None,
) -> None:
    """Purchases: customer_id, date, amount (required), order_id, quantity, currency."""
    purchase_format = _date_format(date_format)
    with app_context() as ctx:
        require_current(ctx.engine)
        try:
            result = read_purchases(
                file,
                encoding=encoding,
                mapping=_mapping(map_),
                default_region=ctx.settings.default_phone_region,
                date_format=purchase_format,
                today=_today(ctx),
            )
        except ImportFileError as exc:
            fail(str(exc))
        records = _checked(file, result, skip_bad_rows)
        with _progress() as progress:
            task = progress.add_task("Saving purchases", total=len(records))
            counts = imports.import_purchases(
                ctx.uow(),
                ctx.clock,
                ctx.rules,
                ctx.settings.tz,
                records,
                award_points=award_points,
                progress=lambda n: progress.update(task, completed=n),
            )
        _print_counts("purchases", counts, len(result.bad_rows))


def _print_counts(what: str, counts: imports.ImportCounts, bad: int) -> None:
    table = Table(title=f"Imported {what}", show_header=False)
    table.add_row("new", str(counts.created))
    if what == "customers":
        table.add_row("updated", str(counts.updated))
    table.add_row("already there", str(counts.unchanged))
    if counts.customers_created:
        table.add_row("new customers (from unknown ids)", str(counts.customers_created))
    if bad:
        table.add_row("bad rows skipped", str(bad))
    if counts.suppressed:
        table.add_row("suppressed (erased customers)", str(counts.suppressed))
    console.print(table)
    if counts.suppressed:
        n = counts.suppressed
        console.print(
            f"{n} row{'s' if n != 1 else ''} suppressed (erased customer{'s' if n != 1 else ''}): "
            "a forgotten person is not re-created",
            markup=False,
            highlight=False,
        )


@export_app.command("customer")
def export_customer_command(customer: Annotated[str, typer.Argument(help="The customer's id.")]) -> None:
    """Print one JSON object with everything stored about the customer (SPEC §1 keys)."""
    with app_context() as ctx:
        require_current(ctx.engine)
        found = find_customer(ctx.uow(), customer, default_region=ctx.settings.default_phone_region)
        assert found.id is not None
        typer.echo(export_json(ctx.uow(), ctx.clock, found.id, actor="cli"))


@forget_app.command("customer")
def forget_customer_command(
    customer: Annotated[str, typer.Argument(help="The customer's id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase a customer's personal data; purchases, points and scores remain as anonymous aggregates."""
    with app_context() as ctx:
        require_current(ctx.engine)
        found = find_customer(ctx.uow(), customer, default_region=ctx.settings.default_phone_region)
        assert found.id is not None
        question = f"Erase the personal data of customer {found.external_id}? This cannot be undone."
        confirm_or_exit(question, yes=yes)
        erased = forget_customer(ctx.uow(), ctx.clock, customer_id=found.id, actor="cli")
        checkpoint_sqlite(ctx.engine)  # SQLite: the write-ahead log still holds the pages as they were
        merged = f" with {erased.merged} merged record(s)" if erased.merged else ""
        console.print(
            f"Customer {customer} was forgotten{merged}; anonymous aggregates remain.",
            markup=False,
            highlight=False,
        )
        if erased.slack_messages:
            console.print(_edit_slack(ctx, erased.slack_messages), markup=False, highlight=False)


def _edit_slack(ctx: AppContext, queued: int) -> str:
    """Edit the queued Slack messages now when this process can reach Slack; otherwise (or for what
    fails now) the running bot does it."""
    settings = ctx.settings
    later = "the running bot edits them (they are queued in the database)"
    if settings.slack_bot_token is None:
        return f'Slack: {queued} message(s) to edit to "erased"; {later}.'
    from handlers.slack.deps import SlackDeps
    from handlers.slack.erasure import SlackEraser
    from handlers.slack.web_client import close_client, slack_client

    async def edit() -> tuple[int, int, int]:
        client = slack_client(settings)  # in the loop: through a SOCKS proxy it has a session
        try:
            run = await SlackEraser(SlackDeps(ctx), client).run_due()
            return run.edited, run.asked, run.waiting
        finally:
            await close_client(client)

    edited, asked, waiting = asyncio.run(edit())
    line = f'Slack: {edited} message(s) edited to "erased"'
    if asked:
        line += f", {asked} person(s) asked by DM to delete their own messages about the customer"
    if waiting:
        line += f"; {waiting} could not be edited yet: {later}"
    return line + "."
