"""SPEC §11: `retention-bot demo` uses its own database (`./demo.db`) unless told otherwise, and
refuses a database that holds data it did not seed. Run where a shop keeps its `.env` and its
real `./retention.db`, the demo must leave that database exactly as it was."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
from pathlib import Path

from bot.clock import ManualClock
from bot.importing.records import CustomerRecord
from bot.services import imports
from tests.conftest import make_context
from tests.support.demo import REPO, demo_command, demo_env

GREETING = ":customer /start\n:expect customer Welcome\n"


def shop_directory(directory: Path, sqlite_url: str, clock: ManualClock) -> Path:
    """`directory` as a shop has it: `.env` copied from the example (DATABASE_URL=./retention.db)
    and `./retention.db` holding one real customer. Returns the database file."""
    shop = directory / "retention.db"
    assert sqlite_url == f"sqlite:///{shop}"
    ctx = make_context(sqlite_url, clock)
    person = CustomerRecord("C1", name="Real Person", phone="+14155550123")
    imports.import_customers(ctx.uow(), clock, [person])
    ctx.close()
    shutil.copyfile(REPO / ".env.example", directory / ".env")
    return shop


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def demo(directory: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = directory / "session.txt"
    script.write_text(GREETING, encoding="utf-8")
    return subprocess.run(
        demo_command(*args, "--script", str(script)),
        cwd=directory,
        env=env or demo_env(directory),
        capture_output=True,
        text=True,
        timeout=240,
    )


def customers(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute("SELECT count(*) FROM customer").fetchone()
    conn.close()
    return int(count)


def test_demo_refuses_a_database_holding_a_customer_it_did_not_seed_and_changes_nothing(
    tmp_path: Path, sqlite_url: str, clock: ManualClock
) -> None:
    shop = shop_directory(tmp_path, sqlite_url, clock)
    before = fingerprint(shop)

    result = demo(tmp_path, "--database-url", "sqlite:///./retention.db")

    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines() == [
        "error: sqlite:///./retention.db holds data the demo did not seed (rows in customer); the demo "
        "only uses its own database: leave out --database-url (it then uses ./demo.db) or name an empty one"
    ]
    assert "Seeded" not in result.stdout
    assert fingerprint(shop) == before
    assert not (tmp_path / "demo.db").exists()


def test_demo_in_a_shop_directory_seeds_demo_db_never_the_database_url_and_a_rerun_adds_nothing(
    tmp_path: Path, sqlite_url: str, clock: ManualClock
) -> None:
    shop = shop_directory(tmp_path, sqlite_url, clock)
    before = fingerprint(shop)
    env = demo_env(tmp_path) | {"DATABASE_URL": sqlite_url}  # in the environment as well as in .env

    first = demo(tmp_path, env=env)

    assert first.returncode == 0, first.stdout + first.stderr
    assert "sqlite:///./demo.db" in first.stdout and "Seeded just now." in first.stdout
    assert fingerprint(shop) == before
    seeded = customers(tmp_path / "demo.db")
    assert seeded > 1000

    second = demo(tmp_path, env=env)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "Already seeded; nothing was added." in second.stdout
    assert customers(tmp_path / "demo.db") == seeded
    assert fingerprint(shop) == before
