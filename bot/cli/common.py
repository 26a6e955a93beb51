"""What every subcommand shares: building the context, and turning errors into exit codes.

Exit codes (SPEC §1): 0 success, 1 runtime failure, 2 bad usage or bad input; one line on stderr.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import OperationalError

from bot.config import Settings
from bot.config.rules import RulesFileError
from bot.context import AppContext
from bot.services.errors import DomainError
from storage.schema import SchemaOutOfDate

console = Console()
err_console = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("retention_bot.cli")

EXIT_RUNTIME = 1
EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    err_console.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{str(first['loc'][0]).upper() if first['loc'] else 'setting'}: {first['msg']}")


@contextmanager
def app_context() -> Iterator[AppContext]:
    """The context for one command, with domain errors mapped to exit 2 and faults to exit 1."""
    settings = load_settings()
    try:
        context = AppContext.from_settings(settings)
    except RulesFileError as exc:
        fail(str(exc))
    try:
        yield context
    except typer.Exit:
        raise
    except (DomainError, SchemaOutOfDate) as exc:
        fail(str(exc))
    except OperationalError as exc:
        fail(f"cannot use the database: {str(exc.orig).splitlines()[0]}", EXIT_RUNTIME)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except Exception as exc:
        log.exception("command failed")
        fail(f"unexpected failure: {type(exc).__name__}: {exc}", EXIT_RUNTIME)
    finally:
        context.close()


def confirm_or_exit(question: str, *, yes: bool) -> None:
    """Ask on a terminal; without one (and without --yes) refuse with exit 2, as SPEC §1 says for forget."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail("refusing without confirmation: no terminal to ask on; pass --yes")
    if not typer.confirm(question, default=False):
        fail("cancelled")
