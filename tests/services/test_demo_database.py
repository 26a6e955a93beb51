"""SPEC §11: the demo refuses a database that holds data it did not seed (bot/demo/database.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlmodel import col, delete

from bot.clock import ManualClock
from bot.context import AppContext
from bot.demo.database import SEED_MARK, SEED_STARTED, NotADemoDatabase, check_demo_database
from bot.demo.seed import seed_demo
from bot.importing.records import CustomerRecord
from bot.services import imports
from storage.db import create_db_engine
from storage.models import AuditLog
from tests.conftest import make_context


def _check(url: str) -> None:
    engine = create_db_engine(url)
    try:
        check_demo_database(engine, url)
    finally:
        engine.dispose()


def _add_customer(ctx: AppContext) -> None:
    imports.import_customers(ctx.uow(), ctx.clock, [CustomerRecord("C1", name="Real Person")])


def test_a_database_with_a_customer_the_demo_did_not_seed_is_refused(ctx: AppContext) -> None:
    _add_customer(ctx)

    with pytest.raises(NotADemoDatabase, match="holds data the demo did not seed") as refused:
        _check(ctx.settings.database_url)

    assert "customer" in refused.value.tables
    assert "\n" not in str(refused.value)


def test_an_empty_migrated_database_is_the_demos_to_take(ctx: AppContext) -> None:
    _check(ctx.settings.database_url)


def test_a_database_file_that_does_not_exist_yet_is_the_demos_to_take(tmp_path: Path) -> None:
    _check(f"sqlite:///{tmp_path / 'demo.db'}")


@pytest.mark.parametrize("mark", [SEED_MARK, SEED_STARTED])
def test_a_database_the_demo_seeded_or_began_to_seed_is_accepted(ctx: AppContext, mark: str) -> None:
    _add_customer(ctx)
    with ctx.uow() as uow:
        uow.session.add(AuditLog(actor="demo", action=mark, created_at=ctx.clock.now()))

    _check(ctx.settings.database_url)


def test_another_applications_rows_are_refused_too(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO orders VALUES (1)")
    conn.close()

    with pytest.raises(NotADemoDatabase) as refused:
        _check(f"sqlite:///{path}")

    assert refused.value.tables == ["orders"]


def test_the_refusal_names_the_database_without_its_password() -> None:
    refusal = NotADemoDatabase("postgresql+psycopg://shop:hunter22@db.example:5432/shop", ["customer"])

    assert "hunter22" not in str(refusal)
    assert str(refusal).startswith("postgresql+psycopg://shop:***@db.example:5432/shop holds data")


def test_a_seed_interrupted_before_its_last_mark_is_finished_by_the_next_run_adding_nothing_twice(
    sqlite_url: str, clock: ManualClock
) -> None:
    ctx = make_context(sqlite_url, clock)
    try:
        first = seed_demo(ctx)
        with ctx.uow() as uow:  # as if the process had stopped just before writing `demo.seed`
            uow.session.exec(delete(AuditLog).where(col(AuditLog.action) == SEED_MARK))
        _check(sqlite_url)  # `demo.seed.started` still says the data is the demo's

        again = seed_demo(ctx)
        third = seed_demo(ctx)
    finally:
        ctx.close()

    assert first.seeded_now and again.seeded_now and not third.seeded_now
    assert (again.customers, again.purchases) == (first.customers, first.purchases) == (2357, 6919)
    assert again.points_outstanding == first.points_outstanding
