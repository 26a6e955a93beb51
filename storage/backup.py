"""Backups of the whole database (SPEC §11): SQLite's online backup API, PostgreSQL's pg_dump.

A SQLite backup is taken page by page from a live database (the bot may keep running): the copy
is one consistent snapshot, WAL included. PostgreSQL goes through `pg_dump --format=custom` and
`pg_restore`, so a backup restores on any server of the same or a newer major version. The file
says what it is (its first bytes), so `restore` refuses a backup made from the other engine.
A backup is written to a temporary file beside the target and renamed, so a crash never leaves
a half-written file under the backup's name.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Final, Literal

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

SQLITE_MAGIC: Final = b"SQLite format 3\x00"
PG_DUMP_MAGIC: Final = b"PGDMP"
Kind = Literal["sqlite", "postgresql"]


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message is one line saying why and what to do."""


def engine_kind(engine: Engine) -> Kind:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def file_kind(path: Path) -> Kind:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise BackupError(f"{path} is a directory, not a backup file") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is not a retention-bot backup (neither a SQLite file nor a pg_dump archive)")


def customer_count(engine: Engine) -> int:
    """Customers in the database; 0 for a database without the schema."""
    if not inspect(engine).has_table("customer"):
        return 0
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM customer")).scalar_one())


def backup(engine: Engine, target: Path, *, overwrite: bool = False) -> None:
    """Write a consistent copy of the whole database to `target`."""
    if target.is_dir():
        raise BackupError(
            f"{target} is a directory: name the backup file, e.g. {target / 'retention.backup'}"
        )
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already; pass --overwrite to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    with _staged(target) as staging:
        if engine_kind(engine) == "sqlite":
            with (
                closing(sqlite3.connect(_sqlite_path(engine))) as source,
                closing(sqlite3.connect(staging)) as copy,
            ):
                source.backup(copy)
        else:
            _pg_tool("pg_dump", engine.url, "--format=custom", "--no-owner", "--no-acl", f"--file={staging}")


def restore(engine: Engine, source: Path, *, replace: bool = False) -> None:
    """Replace the database's contents with the backup's. Stop the bot first."""
    kind = file_kind(source)
    if kind != engine_kind(engine):
        raise BackupError(
            f"{source} is a {kind} backup but DATABASE_URL is {engine_kind(engine)}: "
            "restore it into a database of the same kind"
        )
    held = customer_count(engine)
    if held and not replace:
        raise BackupError(
            f"DATABASE_URL already holds {held} customers; pass --replace to overwrite them with the backup"
        )
    engine.dispose()  # no pooled connection may hold the old database open
    if kind == "sqlite":
        with (
            closing(sqlite3.connect(source)) as backup_file,
            closing(sqlite3.connect(_sqlite_path(engine))) as database,
        ):
            backup_file.backup(database)
    else:
        _pg_tool(
            "pg_restore",
            engine.url,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            str(source),
            database_flag=True,
        )


def _sqlite_path(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return database


@contextmanager
def _staged(target: Path) -> Iterator[str]:
    handle, staging = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        yield staging
        os.replace(staging, target)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)


def _pg_tool(tool: str, url: URL, *args: str, database_flag: bool = False) -> None:
    """Run pg_dump/pg_restore on `url`; the password goes in the environment, never on the command line."""
    program = shutil.which(tool)
    if program is None:
        raise BackupError(
            f"{tool} is not installed: install PostgreSQL's client tools (apt install postgresql-client)"
        )
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    target = [f"--dbname={dsn}"] if database_flag else [dsn]
    finished = subprocess.run([program, *args, *target], env=env, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()]
        raise BackupError(f"{tool} failed: {lines[0] if lines else f'exit {finished.returncode}'}")
