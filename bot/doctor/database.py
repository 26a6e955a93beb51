"""The database check: reachable, and migrated to the revision this version needs."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.doctor.model import Check, failed, ok
from storage.db import create_db_engine
from storage.schema import SchemaStatus, status

NAME = "database"
T = TypeVar("T")
MIGRATE = "run `retention-bot migrate` (with the same DATABASE_URL) to create or upgrade the schema"


def shown(url: str) -> str:
    """The URL as it may be printed: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


async def check_database(url: str, engine: Engine | None, timeout: float) -> Check:  # noqa: ASYNC109
    """Connect and read the schema revision; `engine` is the running bot's, else one is made and closed."""
    where = shown(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        return failed(NAME, f"DATABASE_URL is not a database URL: {where}", _url_fix())
    missing = _missing_sqlite_file(parsed.get_backend_name(), parsed.database)
    if missing is not None:  # connecting would create an empty file: say so instead
        return failed(NAME, f"no database file at {missing} yet", f"{MIGRATE}; it creates the file")
    try:
        target = engine or create_db_engine(url)
    except Exception as exc:  # an unknown driver name, a missing driver package
        return failed(NAME, f"cannot use {where}: {type(exc).__name__}: {exc}", _url_fix())
    try:
        found = await _in_daemon_thread(lambda: status(target), timeout)
    except TimeoutError:
        return failed(NAME, f"no answer from {where} within {timeout:g} s", _url_fix())
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
        return failed(NAME, f"cannot connect to {where}: {reason}", _url_fix())
    except Exception as exc:
        return failed(NAME, f"cannot use {where}: {type(exc).__name__}: {exc}", _url_fix())
    finally:
        if engine is None:
            target.dispose()
    return _schema_check(where, found)


def _missing_sqlite_file(backend: str, database: str | None) -> Path | None:
    if backend != "sqlite" or database in (None, "", ":memory:"):
        return None
    path = Path(database or "").resolve()
    return None if path.exists() else path


def _schema_check(where: str, found: SchemaStatus) -> Check:
    if found.up_to_date:
        return ok(NAME, f"{where}: reachable, schema at revision {found.current} (newest)")
    state = "has no schema yet" if found.current is None else f"is at revision {found.current}"
    return failed(NAME, f"{where} {state}; this version needs revision {found.head}", MIGRATE)


def _url_fix() -> str:
    return (
        "check DATABASE_URL in .env (e.g. sqlite:///./retention.db, or "
        "postgresql+psycopg://user:password@host/dbname) and that the database server is running"
    )


async def _in_daemon_thread(work: Callable[[], T], timeout: float) -> T:  # noqa: ASYNC109
    """Run blocking work with a deadline. A daemon thread, not the loop's executor: a connect that
    hangs (an unroutable PostgreSQL host) must not keep the process from exiting."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(outcome)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result = work()
        except BaseException as exc:
            _hand_over(loop, settle, None, exc)
        else:
            _hand_over(loop, settle, result, None)

    threading.Thread(target=run, name="doctor-database", daemon=True).start()
    return await asyncio.wait_for(future, timeout)


def _hand_over(
    loop: asyncio.AbstractEventLoop,
    settle: Callable[[T | None, BaseException | None], None],
    result: T | None,
    error: BaseException | None,
) -> None:
    with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits for the answer any more
        loop.call_soon_threadsafe(settle, result, error)
