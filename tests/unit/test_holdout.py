"""CDNOW calibration/holdout: the model predicts the holdout, and the at-risk score beats P(alive) alone."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from bot.analytics import InvalidInput, Transactions
from bot.analytics.holdout import HoldoutReport, holdout_check, roc_auc

CDNOW = Path(__file__).parents[2] / "bot" / "demo" / "data" / "cdnow_sample.csv"


@pytest.fixture(scope="module")
def report() -> HoldoutReport:
    with CDNOW.open(newline="") as f:
        rows = list(csv.DictReader(f))
    transactions = Transactions.from_arrays(
        np.array([int(r["customer_id"]) for r in rows]),
        np.array([r["date"] for r in rows], dtype="datetime64[D]"),
        np.array([float(r["amount"]) for r in rows]),
    )
    return holdout_check(transactions, "1997-09-30", "1998-06-30")


def test_the_at_risk_score_detects_lapsed_customers_at_least_as_well_as_p_alive_alone(
    report: HoldoutReport,
) -> None:
    assert report.auc_at_risk >= report.auc_p_alive
    assert report.auc_at_risk_repeat >= report.auc_p_alive_repeat - 1e-12
    assert report.auc_at_risk > 0.7  # better than chance by a margin, on every customer


def test_predicted_holdout_purchases_track_the_actual_ones(report: HoldoutReport) -> None:
    assert report.customers == 2357 and report.holdout_weeks == 39.0
    assert report.predicted_total == pytest.approx(report.actual_total, rel=0.15)
    assert [g.label for g in report.groups] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert sum(g.customers for g in report.groups) == 2357
    means = [g.predicted_mean for g in report.groups]
    assert means == sorted(means)  # more calibration purchases, more expected later
    assert report.groups[0].predicted_mean == pytest.approx(report.groups[0].actual_mean, rel=0.1)


def test_auc_counts_ties_as_half() -> None:
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert roc_auc([1, 1, 1, 1], [True, False, True, False]) == 0.5
    assert roc_auc([3, 2, 1], [True, False, False]) == 1.0
    with pytest.raises(InvalidInput):
        roc_auc([1, 2], [True, True])
