"""The analytics suite: scoring end to end on SQLite and PostgreSQL, lifetimes side by side, CDNOW holdout."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import peers
from benchmarks.loading import load, purchase_count
from benchmarks.synthetic import PurchaseLog, generate
from bot.analytics import Transactions, summarize
from bot.analytics.holdout import HoldoutReport, holdout_check
from storage.db import create_db_engine
from storage.schema import upgrade

REPO = Path(__file__).resolve().parents[1]
CDNOW = REPO / "bot" / "demo" / "data" / "cdnow_sample.csv"


@dataclass(frozen=True)
class DbRun:
    database: str
    load_seconds: float
    result: dict[str, Any]


def run(n_customers: int, databases: list[str], repeats: int = 2) -> str:
    """Everything the suite measures, as the markdown of its docs/benchmarks.md section."""
    log = generate(n_customers)
    print(f"generated {n_customers:,} customers, {len(log):,} purchases", file=sys.stderr)
    db_runs = [_database_run(name, log) for name in databases]
    summary = summarize(Transactions(log.customer, log.day, log.amount), log.as_of)
    comparison = _best_of(summary, repeats)
    holdout = _cdnow_holdout()
    from benchmarks.report import section  # late: keeps the report's imports out of the timed runs

    extra = f" --repeats {repeats}" if repeats != 2 else ""
    if databases != ["sqlite", "postgresql"]:
        extra += f" --databases {','.join(databases)}"
    return section(n_customers, log, db_runs, comparison, holdout, extra)


def _database_run(name: str, log: PurchaseLog) -> DbRun:
    with tempfile.TemporaryDirectory(prefix="rb-bench-") as folder:
        server = None
        if name == "postgresql":
            from tests.support.postgres import start_postgres

            server = start_postgres()
            url = server.admin_url
        else:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
        try:
            engine = create_db_engine(url)
            upgrade(engine)
            started = time.perf_counter()
            load(engine, log)
            loaded = time.perf_counter() - started
            assert purchase_count(engine) == len(log)
            engine.dispose()
            print(f"{name}: loaded {len(log):,} purchases in {loaded:.1f} s", file=sys.stderr)
            result = _score_in_subprocess(url, str(log.as_of))
            print(f"{name}: scored in {result['wall']:.1f} s", file=sys.stderr)
            return DbRun(name, loaded, result)
        finally:
            if server is not None:
                server.stop()


def _score_in_subprocess(url: str, as_of: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.score_run", url, as_of],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scoring failed: {done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _best_of(summary: Any, repeats: int) -> peers.Comparison:
    """Each side's fastest of `repeats` runs (the machine is shared; outputs are identical)."""
    ours = min((peers.ours(summary) for _ in range(repeats)), key=lambda s: s.total)
    theirs = min((peers.lifetimes(summary) for _ in range(repeats)), key=lambda s: s.total)
    return peers.Comparison(ours, theirs)


def _cdnow_holdout() -> HoldoutReport:
    with CDNOW.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    transactions = Transactions.from_arrays(
        np.array([int(r["customer_id"]) for r in rows]),
        np.array([r["date"] for r in rows], dtype="datetime64[D]"),
        np.array([float(r["amount"]) for r in rows]),
    )
    return holdout_check(transactions, "1997-09-30", "1998-06-30")
