"""`retention-bot score` as a user runs it: CDNOW imported by the CLI, scored on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import CDNOW

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # lifetimes (unmaintained) warns about pandas options on import
    import pandas as pd
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

BIN = Path(sys.executable).parent / "retention-bot"
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}


def run(url: str, cwd: Path, *args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200", **environment}
    return subprocess.run(
        [str(BIN), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def cdnow_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated by the CLI with CDNOW imported by the CLI (copied by each test)."""
    folder = tmp_path_factory.mktemp("cdnow")
    url = f"sqlite:///{folder / 'retention.db'}"
    assert run(url, folder, "migrate").returncode == 0
    imported = run(url, folder, "import", "purchases", str(CDNOW))
    assert imported.returncode == 0, imported.stderr
    assert "2357" in imported.stdout and "6919" in imported.stdout
    return folder / "retention.db"


@pytest.fixture
def cdnow_sqlite(cdnow_file: Path, tmp_path: Path) -> str:
    shutil.copyfile(cdnow_file, tmp_path / "retention.db")
    return f"sqlite:///{tmp_path / 'retention.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cdnow_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """CDNOW imported through the CLI into SQLite or into a fresh, migrated PostgreSQL database."""
    if request.param == "sqlite":
        url: str = request.getfixturevalue("cdnow_sqlite")
        return url
    url = request.getfixturevalue("postgres_url")
    imported = run(url, tmp_path, "import", "purchases", str(CDNOW))
    assert imported.returncode == 0, imported.stderr
    return url


def lifetimes_reference(summary_weeks: pd.DataFrame, params: dict[str, float]) -> Any:
    """lifetimes' BetaGeoFitter with the parameters `score` printed, to compare formulas per customer."""
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series([params[k] for k in ("r", "alpha", "a", "b")], index=["r", "alpha", "a", "b"])
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time
    return bgf


def test_cdnow_scores_reproduce_the_published_parameters_and_lifetimes_per_customer(
    cdnow_db: str, tmp_path: Path
) -> None:
    detail = tmp_path / "detail.csv"
    scored = run(cdnow_db, tmp_path, "score", "--as-of", "1997-09-30", "--json", "--detail", str(detail))
    assert scored.returncode == 0, scored.stderr

    summary = json.loads(scored.stdout)
    assert list(summary) == [
        "as_of", "customers", "time_unit", "bgnbd", "gamma_gamma", "segments", "stages", "at_risk"
    ]  # fmt: skip
    assert (summary["as_of"], summary["customers"], summary["time_unit"]) == ("1997-09-30", 2357, "week")
    fitted = {**summary["bgnbd"], **summary["gamma_gamma"]}
    for name, value in PUBLISHED.items():
        assert fitted[name] == pytest.approx(value, rel=0.01), name
    assert summary["bgnbd"]["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert sum(summary["segments"].values()) == sum(summary["stages"].values()) == 2357
    assert list(summary["stages"]) == ["new", "active", "at_risk", "churned"]
    assert 0 < summary["at_risk"] < 2357

    with detail.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "customer_id", "frequency", "recency", "T", "p_alive", "expected_purchases_90d",
        "expected_order_value", "clv", "r", "f", "m", "segment", "stage", "at_risk", "reasons",
    ]  # fmt: skip
    assert len(rows) == 2357 and rows[0]["customer_id"] == "00004"
    mine = (
        pd.DataFrame(rows)
        .set_index("customer_id")
        .astype({c: float for c in ("frequency", "recency", "T", "p_alive", "expected_purchases_90d")})
    )

    purchases = pd.read_csv(CDNOW, dtype={"customer_id": str}, parse_dates=["date"])
    theirs = summary_data_from_transaction_data(
        purchases, "customer_id", "date", "amount", observation_period_end="1997-09-30", freq="D"
    ).loc[mine.index]
    np.testing.assert_array_equal(mine["frequency"], theirs["frequency"])
    np.testing.assert_allclose(mine["recency"], theirs["recency"] / 7, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mine["T"], theirs["T"] / 7, rtol=0, atol=1e-12)

    bgf = lifetimes_reference(theirs, summary["bgnbd"])
    f, r, t = mine["frequency"], mine["recency"], mine["T"]
    np.testing.assert_allclose(mine["p_alive"], bgf.conditional_probability_alive(f, r, t), rtol=0, atol=1e-6)
    expected = bgf.conditional_expected_number_of_purchases_up_to_time(90 / 7, f, r, t)
    np.testing.assert_allclose(mine["expected_purchases_90d"], expected, rtol=0, atol=1e-6)

    flagged = [row for row in rows if row["at_risk"] == "1"]
    assert len(flagged) >= summary["at_risk"] and all(row["reasons"] for row in flagged)
    assert any(row["reasons"].startswith("no purchase for ") for row in flagged)


def test_scoring_the_same_day_again_replaces_its_snapshots(cdnow_sqlite: str, tmp_path: Path) -> None:
    first = run(cdnow_sqlite, tmp_path, "score", "--as-of", "1997-09-30")
    assert first.returncode == 0, first.stderr
    assert "Scores as of 1997-09-30" in first.stdout and "2,357" in first.stdout
    again = run(cdnow_sqlite, tmp_path, "score", "--as-of", "1997-09-30", "--json")
    assert json.loads(again.stdout)["customers"] == 2357
    with sqlite3.connect(tmp_path / "retention.db") as conn:
        counts = conn.execute("SELECT count(*), count(DISTINCT customer_id) FROM risk_snapshot").fetchone()
    assert counts == (2357, 2357)


def test_score_shows_its_stages_on_a_terminal_and_keeps_them_out_of_the_json(
    cdnow_sqlite: str, tmp_path: Path
) -> None:
    terminal = {"TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"}  # rich: stderr is a terminal
    shown = run(cdnow_sqlite, tmp_path, "score", "--as-of", "1997-09-30", "--json", **terminal)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["customers"] == 2357
    for stage in ("reading purchases", "fitting BG/NBD and Gamma-Gamma", "writing the day's snapshots"):
        assert stage in shown.stderr
    piped = run(cdnow_sqlite, tmp_path, "score", "--as-of", "1997-09-30", "--json")
    assert piped.stderr == ""  # not a terminal: nothing to animate, nothing written


def test_a_bad_date_or_unfit_data_exits_2_with_one_line(cdnow_sqlite: str, tmp_path: Path) -> None:
    cases = {
        "1997-13-45": "--as-of takes a date like 1997-09-30, got '1997-13-45'",
        "2999-01-01": "cannot score as of 2999-01-01: it is in the future",
        "1996-01-01": "cannot score as of 1996-01-01: BG/NBD needs at least 10 customers, got 0",
    }
    for as_of, message in cases.items():
        result = run(cdnow_sqlite, tmp_path, "score", "--as-of", as_of)
        assert result.returncode == 2, as_of
        assert result.stderr.startswith("error: " + message) and len(result.stderr.strip().splitlines()) == 1
        assert result.stdout == ""
