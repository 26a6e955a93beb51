"""The `retention-bot` command as a user runs it: a real process, a real database file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CDNOW

BIN = Path(sys.executable).parent / "retention-bot"


def run(db: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "COLUMNS": "200", **settings}
    return subprocess.run(
        [str(BIN), *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        cwd=db.parent,
        timeout=120,
        check=False,
    )


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "retention.db"
    assert run(path, "migrate").returncode == 0
    return path


def test_commands_refuse_an_unmigrated_database_and_name_the_fix(tmp_path: Path) -> None:
    result = run(tmp_path / "new.db", "import", "purchases", str(CDNOW))
    assert result.returncode == 2
    assert "run `retention-bot migrate`" in result.stderr
    assert "Traceback" not in result.stderr


def test_importing_cdnow_twice_leaves_6919_purchases_and_the_second_reports_none_new(db: Path) -> None:
    first = run(db, "import", "purchases", str(CDNOW))
    assert first.returncode == 0, first.stderr
    assert "6919" in first.stdout and "2357" in first.stdout
    second = run(db, "import", "purchases", str(CDNOW))
    assert second.returncode == 0, second.stderr
    assert count(db, "purchase") == 6919 and count(db, "customer") == 2357
    new_row = next(line for line in second.stdout.splitlines() if "new" in line)
    assert new_row.split()[-2:] == ["0", "│"] or new_row.rstrip("│ ").endswith("0")


def test_a_broken_copy_exits_2_naming_each_bad_row_and_writes_nothing(db: Path, tmp_path: Path) -> None:
    lines = CDNOW.read_bytes().split(b"\n")
    lines[5] = b"00005,1997-13-45,1,10.00"
    lines[10] = b"00007,1997-02-01,1,abc"
    lines[20] = b"00009,1997-02-01,1,caf\xe9"
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\n".join(lines))
    result = run(db, "import", "purchases", str(broken))
    assert result.returncode == 2
    assert "line 6: date '1997-13-45'" in result.stderr
    assert "line 11: amount 'abc' is not a number" in result.stderr
    assert "line 21:" in result.stderr and "--encoding" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: 3 bad row(s)")
    assert count(db, "purchase") == 0 and count(db, "customer") == 0
    skipped = run(db, "import", "purchases", str(broken), "--skip-bad-rows")
    assert skipped.returncode == 0 and count(db, "purchase") == 6916


def test_customers_import_reads_gbk_with_encoding_and_updates_by_id(db: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "customers.csv"
    sheet.write_bytes("customer_id,name,Mobile,language\nA1,王小明,0912 345 678,zh-TW\n".encode("gbk"))
    no_encoding = run(db, "import", "customers", str(sheet), "--map", "mobile=phone")
    assert no_encoding.returncode == 2 and "--encoding" in no_encoding.stderr
    args = ("import", "customers", str(sheet), "--map", "mobile=phone", "--encoding", "gbk")
    assert run(db, *args).returncode == 2  # a Taiwanese mobile is not a valid US number
    result = run(db, *args, DEFAULT_PHONE_REGION="TW")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT name, phone, language FROM customer").fetchone()
    assert row == ("王小明", "+886912345678", "zh-Hant")
    sheet.write_bytes("customer_id,name\nA1,王大明\n".encode("gbk"))
    assert run(db, "import", "customers", str(sheet), "--encoding", "gbk").returncode == 0
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT name, phone, language FROM customer").fetchone()
    assert row == ("王大明", "+886912345678", "zh-Hant")  # columns the file lacks are left alone


def test_a_us_file_is_imported_with_its_date_format_and_refused_without_it(db: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "us-sales.csv"
    sheet.write_text(
        'customer_id,date,amount\nA,01/05/2024,"$1,234.50"\nB,02/03/2024,12.5\nC,12/01/2023,7\n',
        encoding="utf-8",
    )

    refused = run(db, "import", "purchases", str(sheet))
    bad_format = run(db, "import", "purchases", str(sheet), "--date-format", "%m/%d")
    result = run(db, "import", "purchases", str(sheet), "--date-format", "%m/%d/%Y")

    assert refused.returncode == 2
    assert (
        "line 2: date '01/05/2024' could be 1 May or 5 January: pass --date-format %d/%m/%Y or %m/%d/%Y"
        in refused.stderr
    )
    assert bad_format.returncode == 2 and "Traceback" not in bad_format.stderr
    assert bad_format.stderr.strip().splitlines() == [
        "error: --date-format '%m/%d' must contain a day, a month and a year, e.g. %d/%m/%Y or %m/%d/%Y"
    ]
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT purchased_on, amount FROM purchase ORDER BY purchased_on").fetchall()
    assert rows == [("2023-12-01", 7), ("2024-01-05", 1234.5), ("2024-02-03", 12.5)]


def test_export_prints_the_spec_keys_and_forget_needs_confirmation(db: Path) -> None:
    assert run(db, "import", "purchases", str(CDNOW)).returncode == 0
    exported = run(db, "export", "customer", "00004")
    assert exported.returncode == 0, exported.stderr
    data = json.loads(exported.stdout)
    assert set(data) == {
        "customer",
        "identities",
        "interactions",
        "purchases",
        "points",
        "surveys",
        "tickets",
        "scores",
    }
    assert len(data["purchases"]) == 4
    assert {"order_id", "date", "amount", "refunded"} <= set(data["purchases"][0])
    refused = run(db, "forget", "customer", "00004")  # no terminal, no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert run(db, "forget", "customer", "00004", "--yes").returncode == 0
    missing = run(db, "export", "customer", "00004")
    assert missing.returncode == 2 and "no customer matches" in missing.stderr
    assert count(db, "purchase") == 6919  # anonymous aggregates stay


def test_unknown_subcommand_is_a_usage_error(db: Path) -> None:
    result = run(db, "frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
