"""The `retention-bot` Typer application: registers the subcommands of SPEC §1."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from bot.cli.apikey import apikey_app
from bot.cli.backup import backup, restore
from bot.cli.common import app_context, console
from bot.cli.data import export_app, forget_app, import_app
from bot.cli.demo import demo
from bot.cli.digest import digest
from bot.cli.doctor import doctor
from bot.cli.jobs import jobs
from bot.cli.poster import poster
from bot.cli.score import score_app
from bot.cli.survey import survey_app
from storage.schema import upgrade

app = typer.Typer(
    help="retention-bot: customer retention for small businesses (Telegram for customers, Slack for staff).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        try:
            number = version("retention-bot")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown"
        typer.echo(f"retention-bot {number}")
        raise typer.Exit()


@app.callback()
def _options(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """retention-bot: customer retention for small businesses (Telegram for customers, Slack for staff)."""


app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")
app.add_typer(forget_app, name="forget")
app.command("demo")(demo)
app.command("digest")(digest)
app.command()(doctor)
app.command()(jobs)
app.command()(backup)
app.command()(restore)
app.command()(poster)
app.add_typer(score_app)
app.add_typer(survey_app, name="survey")
app.add_typer(apikey_app, name="apikey")


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema on DATABASE_URL."""
    with app_context() as ctx:
        status = upgrade(ctx.engine)
        console.print(f"Database schema is at revision {status.current} (newest).")


@app.command()
def run(
    no_telegram: Annotated[
        bool, typer.Option("--no-telegram", help="Do not start the Telegram bot.")
    ] = False,
    no_slack: Annotated[bool, typer.Option("--no-slack", help="Do not start the Slack app.")] = False,
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler", help="Do not run scheduled jobs.")] = False,
) -> None:
    """Run the bots, the scheduler and the HTTP server (/healthz, /slack/events, webhooks)."""
    import asyncio

    from bot.app import Parts, serve
    from bot.logsetup import configure_logging

    with app_context() as ctx:
        configure_logging(ctx.settings)
        parts = Parts(telegram=not no_telegram, slack=not no_slack, scheduler=not no_scheduler)
        asyncio.run(serve(ctx, parts))


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
