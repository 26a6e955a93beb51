"""`apikey create NAME | list | revoke NAME`: keys for the till and online-shop API (SPEC §9)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from bot.cli.common import app_context, console, err_console
from bot.services.api_keys import create_api_key, list_api_keys, revoke_api_key
from storage.schema import require_current

apikey_app = typer.Typer(
    help="Keys for the HTTP API under /api/v1 (tills, online shops).", no_args_is_help=True
)

Name = Annotated[str, typer.Argument(metavar="NAME", help="A name for the key, e.g. till-1 or webshop.")]


@apikey_app.command("create")
def create(name: Name) -> None:
    """Create a key and print it once (only its hash is kept)."""
    with app_context() as ctx:
        require_current(ctx.engine)
        made = create_api_key(ctx.uow(), ctx.clock, name=name)
        err_console.print(
            f"API key {name!r} created. Copy it now: it is not shown again.", markup=False, highlight=False
        )
        typer.echo(made.key)


@apikey_app.command("list")
def list_keys() -> None:
    """The keys: name, start of the key, when created, revoked or active."""
    with app_context() as ctx:
        require_current(ctx.engine)
        keys = list_api_keys(ctx.uow())
        if not keys:
            console.print("No API keys yet: `retention-bot apikey create NAME` makes one.")
            return
        tz = ctx.settings.tz
        table = Table(title="API keys")
        for column in ("name", "key starts", "created", "state"):
            table.add_column(column)
        for key in keys:
            state = (
                "active"
                if key.revoked_at is None
                else f"revoked {key.revoked_at.astimezone(tz):%Y-%m-%d %H:%M}"
            )
            table.add_row(
                key.name, key.prefix + "…", f"{key.created_at.astimezone(tz):%Y-%m-%d %H:%M}", state
            )
        console.print(table)


@apikey_app.command("revoke")
def revoke(name: Name) -> None:
    """Revoke a key: refused from the next request on, in every running instance."""
    with app_context() as ctx:
        require_current(ctx.engine)
        revoke_api_key(ctx.uow(), ctx.clock, name=name)
        console.print(f"API key {name!r} revoked.")
