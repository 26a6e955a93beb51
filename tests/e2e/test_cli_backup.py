"""`retention-bot backup` and `restore` (SPEC §11), as real commands: after a restore into an empty
database every customer's export is what it was; bad input is one line and exit 2, and changes
nothing."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.clock import ManualClock
from bot.context import AppContext
from bot.services.customers import create_customer, link_chat
from bot.services.privacy import export_customer
from bot.services.purchases import record_purchase
from bot.services.rewards import redeem
from bot.services.tickets import receive_feedback
from storage.backup import customer_count
from storage.db import create_db_engine
from tests.conftest import make_context
from tests.support.bot_process import BINARY, clean_env
from tests.support.postgres import PostgresServer


def cli(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BINARY), *args],
        cwd=cwd,
        env=clean_env({"DATABASE_URL": database_url}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def seed(ctx: AppContext) -> list[int]:
    """A small shop: customers with purchases, points, a redeemed reward, a chat and a complaint."""
    ids: list[int] = []
    for n in range(12):
        with ctx.uow() as uow:
            customer = create_customer(
                uow,
                ctx.clock,
                external_id=f"C{n:03d}",
                name=["Ann Lee", "王小明", "陳美玲"][n % 3] + f" {n}",
                phone=f"+1415555{n:04d}",
                email=f"c{n}@example.com",
            )
            if n % 4 == 0:
                link_chat(
                    uow,
                    ctx.clock,
                    customer,
                    platform="telegram",
                    user_id=str(9000 + n),
                    chat_id=str(9000 + n),
                )
        assert customer.id is not None
        ids.append(customer.id)
        for k in range(1 + n % 3):
            record_purchase(
                ctx.uow(),
                ctx.clock,
                ctx.rules,
                ctx.settings.tz,
                customer_id=customer.id,
                amount=Decimal(f"{60 + 7 * n + k}.50"),
                order_id=f"O{n}-{k}",
            )
            ctx.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    redeem(ctx.uow(), ctx.clock, ctx.rules, customer_id=ids[2], reward_code="five_off", request_key="r-1")
    receive_feedback(
        ctx.uow(),
        ctx.clock,
        customer_id=ids[4],
        text="The tea was cold and nobody answered",
        source_event_id="t-1",
    )
    return ids


def exports(ctx: AppContext, ids: list[int]) -> dict[int, dict[str, object]]:
    return {customer_id: export_customer(ctx.uow(), ctx.clock, customer_id) for customer_id in ids}


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database of the same kind with nothing in it, not even the schema."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"rb_empty_{os.getpid()}_{tmp_path.name[-12:].replace('-', '_')}"
    admin = create_db_engine(server.admin_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    admin.dispose()
    return server.url(name)


def test_a_backup_restored_into_an_empty_database_exports_every_customer_as_before(
    database_url: str, empty_url: str, tmp_path: Path
) -> None:
    clock = ManualClock(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    original = make_context(database_url, clock)
    ids = seed(original)
    before = exports(original, ids)

    made = cli(database_url, tmp_path, "backup", "shop.backup")
    assert made.returncode == 0, made.stderr
    assert "Backed up 12 customers to shop.backup" in made.stdout
    again = cli(database_url, tmp_path, "backup", "shop.backup")  # never overwrites by accident
    assert again.returncode == 2 and again.stderr.strip().endswith("pass --overwrite to replace it")

    restored = cli(empty_url, tmp_path, "restore", "shop.backup")
    assert restored.returncode == 0, restored.stderr
    assert "Restored 12 customers" in restored.stdout
    copy = make_context(empty_url, clock)
    assert exports(copy, ids) == before
    assert cli(empty_url, tmp_path, "jobs").returncode == 0  # the schema came along: the bot can run on it

    refused = cli(empty_url, tmp_path, "restore", "shop.backup")  # it holds customers now
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "pass --replace" in refused.stderr
    original.close()
    copy.close()


def test_restore_refuses_what_is_not_a_backup_of_this_kind_and_changes_nothing(
    sqlite_url: str, tmp_path: Path
) -> None:
    ctx = make_context(sqlite_url, ManualClock(datetime(2026, 6, 1, tzinfo=UTC)))
    seed(ctx)
    (tmp_path / "customers.csv").write_text("customer_id,name\nC1,Ann\n", encoding="utf-8")
    for args, reason in (
        (("restore", "customers.csv"), "is not a retention-bot backup"),
        (("restore", "missing.backup"), "does not exist"),
        (("backup", "."), "is a directory"),
    ):
        result = cli(sqlite_url, tmp_path, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert (
            result.stderr.startswith("error: ") and reason in result.stderr and result.stderr.count("\n") == 1
        )
    assert customer_count(ctx.engine) == 12
    ctx.close()


@pytest.mark.postgres
def test_a_sqlite_backup_is_not_restored_into_postgresql(
    sqlite_url: str, postgres_url: str, tmp_path: Path
) -> None:
    assert cli(sqlite_url, tmp_path, "backup", "shop.backup").returncode == 0
    result = cli(postgres_url, tmp_path, "restore", "shop.backup")
    assert result.returncode == 2
    assert "is a sqlite backup but DATABASE_URL is postgresql" in result.stderr
