"""A unit of work that only reads takes no write lock on SQLite: writers carry on beside a long
read (scoring loads every purchase), and the read sees one snapshot from start to end."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.context import AppContext
from bot.services.customers import create_customer
from storage.models import AuditLog, Customer


def _count(ctx: AppContext) -> int:
    with ctx.uow() as uow:
        return uow.session.exec(select(func.count()).select_from(AuditLog)).one()


def _log(writer: sqlite3.Connection, action: str) -> None:
    writer.execute(
        "INSERT INTO audit_log (actor, action, detail, created_at) VALUES (?, ?, '{}', '2026-03-02')",
        ("test", action),
    )


def _other_writer(path: Path) -> sqlite3.Connection:
    """Another process's connection that gives up on a locked database after 0.2 s."""
    return sqlite3.connect(path, timeout=0.2, isolation_level=None)


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """These tests are about SQLite's locks: SQLite only."""
    return sqlite_url


@pytest.fixture
def sqlite_path(sqlite_url: str) -> Path:
    return Path(sqlite_url.removeprefix("sqlite:///"))


def test_a_writer_commits_while_a_read_is_open_and_the_read_keeps_its_snapshot(
    ctx: AppContext, sqlite_path: Path
) -> None:
    writer = _other_writer(sqlite_path)
    _log(writer, "first")
    uow = ctx.uow()
    with uow.reading():
        before = uow.session.exec(select(func.count()).select_from(AuditLog)).one()
        writer.execute("BEGIN IMMEDIATE")  # would raise 'database is locked' under a write lock
        _log(writer, "second")
        writer.execute("COMMIT")
        during = uow.session.exec(select(func.count()).select_from(AuditLog)).one()
    writer.close()
    assert (before, during) == (1, 1)  # one consistent snapshot for the whole read
    assert _count(ctx) == 2


def test_an_ordinary_unit_of_work_holds_the_write_lock_from_its_start(
    ctx: AppContext, sqlite_path: Path
) -> None:
    uow = ctx.uow()
    with uow:
        uow.session.exec(select(func.count()).select_from(AuditLog)).one()
        writer = _other_writer(sqlite_path)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            writer.execute("BEGIN IMMEDIATE")
        writer.close()


def test_reading_inside_an_open_unit_of_work_joins_it(ctx: AppContext) -> None:
    uow = ctx.uow()
    with uow:
        create_customer(uow, ctx.clock, external_id="C1", name="Ann")
        with uow.reading():  # the outer transaction's own uncommitted row is visible
            assert uow.session.exec(select(func.count()).select_from(Customer)).one() == 1
    with ctx.uow() as again:
        assert again.session.exec(select(func.count()).select_from(Customer)).one() == 1
