"""Calibration/holdout check: predicted vs actual repeat purchases, and how well the risk score ranks.

Fit on purchases up to `calibration_end`, predict the holdout period (`calibration_end`,
`holdout_end`], and compare with what customers really did there, as in Fader, Hardie & Lee
(2005), figure 4: mean repeat purchases in the holdout by calibration frequency 0..7+.
Repeat purchases are distinct purchase days, as everywhere in this package. The at-risk
score is judged as a detector of "no purchase in the holdout" by ROC AUC, against the
P(alive)-only baseline 1 - P(alive).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from bot.analytics._arrays import as_float_1d, same_length
from bot.analytics.bgnbd import BgNbdParams, conditional_expected_purchases
from bot.analytics.errors import InvalidInput
from bot.analytics.pipeline import score_customers
from bot.analytics.summary import DAYS_PER_WEEK, DateLike, Transactions, to_day_number

TOP_FREQUENCY = 7  # the paper's last group is "7+"


def roc_auc(scores: ArrayLike, positive: ArrayLike) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) formula; tied scores share their mean rank."""
    s = as_float_1d(scores, "scores")
    y = np.asarray(positive, dtype=np.bool_).reshape(-1)
    n = same_length(scores=s, positive=y)
    n_pos = int(np.count_nonzero(y))
    n_neg = n - n_pos
    if n_pos == 0 or n_neg == 0:
        raise InvalidInput("AUC needs both positive and negative cases")
    order = np.argsort(s, kind="mergesort")
    sorted_s = s[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_s)) + 1]
    ends = np.r_[starts[1:], n]
    ranks = np.empty(n, dtype=np.float64)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)  # mean of ranks start+1..end
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


@dataclass(frozen=True)
class FrequencyGroup:
    """Customers with one calibration frequency (the last group is 7+) and their holdout purchases."""

    label: str
    customers: int
    actual_mean: float
    predicted_mean: float


@dataclass(frozen=True)
class HoldoutReport:
    """Predicted vs actual repeat purchases in the holdout, and the AUCs for "no purchase there"."""

    calibration_end: np.datetime64
    holdout_end: np.datetime64
    holdout_weeks: float
    customers: int
    bgnbd: BgNbdParams
    actual_total: int
    predicted_total: float
    groups: tuple[FrequencyGroup, ...]
    no_purchase_share: float  # customers without a purchase in the holdout
    auc_at_risk: float
    auc_p_alive: float
    auc_at_risk_repeat: float  # among calibration repeat buyers only
    auc_p_alive_repeat: float


def holdout_check(
    transactions: Transactions, calibration_end: DateLike, holdout_end: DateLike
) -> HoldoutReport:
    """Score at `calibration_end` with the default rules and compare with the holdout period."""
    cal_day, end_day = to_day_number(calibration_end), to_day_number(holdout_end)
    if end_day <= cal_day:
        raise InvalidInput("holdout_end must be after calibration_end")
    result = score_customers(transactions, cal_day)
    s = result.summary
    weeks = (end_day - cal_day) / DAYS_PER_WEEK
    predicted = conditional_expected_purchases(result.bgnbd, weeks, s.frequency, s.recency, s.T)
    actual = _holdout_purchase_days(transactions, s.customer, cal_day, end_day)

    groups = []
    capped = np.minimum(s.frequency, TOP_FREQUENCY)
    for x in range(TOP_FREQUENCY + 1):
        members = capped == x
        if np.any(members):
            label = f"{x}+" if x == TOP_FREQUENCY else str(x)
            groups.append(
                FrequencyGroup(
                    label,
                    int(np.count_nonzero(members)),
                    float(actual[members].mean()),
                    float(predicted[members].mean()),
                )
            )
    lost = actual == 0
    repeat = s.frequency > 0
    baseline = 1.0 - result.p_alive
    risk = result.at_risk.risk_score
    return HoldoutReport(
        calibration_end=np.datetime64(cal_day, "D"),
        holdout_end=np.datetime64(end_day, "D"),
        holdout_weeks=weeks,
        customers=s.n_customers,
        bgnbd=result.bgnbd,
        actual_total=int(actual.sum()),
        predicted_total=float(predicted.sum()),
        groups=tuple(groups),
        no_purchase_share=float(lost.mean()),
        auc_at_risk=roc_auc(risk, lost),
        auc_p_alive=roc_auc(baseline, lost),
        auc_at_risk_repeat=roc_auc(risk[repeat], lost[repeat]),
        auc_p_alive_repeat=roc_auc(baseline[repeat], lost[repeat]),
    )


def _holdout_purchase_days(
    transactions: Transactions, customers: ArrayLike, cal_day: int, end_day: int
) -> np.ndarray[tuple[int], np.dtype[np.int64]]:
    """Distinct purchase days in (cal_day, end_day] per customer of `customers` (sorted keys)."""
    keys = np.asarray(customers, dtype=np.int64)
    window = (transactions.day > cal_day) & (transactions.day <= end_day)
    pairs = np.unique(np.column_stack((transactions.customer[window], transactions.day[window])), axis=0)
    known = np.isin(pairs[:, 0], keys)
    index = np.searchsorted(keys, pairs[known, 0])
    counts: np.ndarray[tuple[int], np.dtype[np.int64]] = np.bincount(index, minlength=len(keys)).astype(
        np.int64
    )
    return counts
