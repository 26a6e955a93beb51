"""One scoring run: summary → BG/NBD → Gamma-Gamma → CLV → RFM → lifecycle stage → at-risk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.analytics._arrays import FloatArray, IntArray, StrArray
from bot.analytics.at_risk import AtRiskResult, AtRiskThresholds, NpsAnswer, OpenTicket, assess_at_risk
from bot.analytics.bgnbd import (
    BgNbdParams,
    conditional_expected_purchases,
    conditional_probability_alive,
    fit_bgnbd,
)
from bot.analytics.clv import customer_lifetime_value
from bot.analytics.gamma_gamma import GammaGammaParams, conditional_expected_order_value, fit_gamma_gamma
from bot.analytics.lifecycle import (
    LifecycleThresholds,
    lifecycle_stages,
    reference_interval_days,
    stage_counts,
)
from bot.analytics.rfm import RfmScores, rfm_scores
from bot.analytics.summary import DAYS_PER_WEEK, CustomerSummary, DateLike, Transactions, summarize


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Per-customer arrays (aligned with `summary.customer`), fitted models and counts."""

    summary: CustomerSummary
    horizon_days: float
    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    p_alive: FloatArray
    expected_purchases: FloatArray  # repeat purchases expected in the next horizon_days
    expected_order_value: FloatArray
    clv: FloatArray
    rfm: RfmScores
    stage: StrArray
    at_risk: AtRiskResult
    segment_counts: dict[str, int]
    stage_counts: dict[str, int]

    @property
    def as_of(self) -> np.datetime64:
        """The as-of date: only purchases dated on or before it counted."""
        return self.summary.as_of

    @property
    def customer(self) -> IntArray:
        """The customer keys, in the order of every per-customer array."""
        return self.summary.customer

    @property
    def n_customers(self) -> int:
        """Number of customers scored (those with a purchase on or before as_of)."""
        return self.summary.n_customers


def score_customers(
    transactions: Transactions,
    as_of: DateLike,
    horizon_days: float = 90.0,
    *,
    clv_months: int = 12,
    monthly_discount_rate: float = 0.01,
    lifecycle_thresholds: LifecycleThresholds | None = None,
    at_risk_thresholds: AtRiskThresholds | None = None,
    previous_p_alive: Mapping[int, float] | None = None,
    nps: Mapping[int, NpsAnswer] | None = None,
    open_tickets: Mapping[int, Sequence[OpenTicket]] | None = None,
) -> ScoreResult:
    """Score every customer with purchases up to `as_of`; the mappings are keyed by customer key.

    Raises NotEnoughData when BG/NBD or Gamma-Gamma cannot be fitted (too few customers, no
    repeat buyers, no spend), InvalidInput for malformed arrays.
    """
    s = summarize(transactions, as_of)
    bgnbd = fit_bgnbd(s.frequency, s.recency, s.T)
    p_alive = conditional_probability_alive(bgnbd, s.frequency, s.recency, s.T)
    expected = conditional_expected_purchases(
        bgnbd, horizon_days / DAYS_PER_WEEK, s.frequency, s.recency, s.T
    )
    gamma_gamma = fit_gamma_gamma(s.frequency, s.monetary_value)
    order_value = conditional_expected_order_value(gamma_gamma, s.frequency, s.monetary_value)
    clv = customer_lifetime_value(
        bgnbd,
        order_value,
        s.frequency,
        s.recency,
        s.T,
        months=clv_months,
        monthly_discount_rate=monthly_discount_rate,
    )
    rfm = rfm_scores(s.days_since_last, s.frequency + 1, s.total_spend)
    lifecycle = lifecycle_thresholds or LifecycleThresholds()
    stage = lifecycle_stages(s.frequency, s.days_since_last, s.mean_interval_days, p_alive, lifecycle)

    keys = s.customer.tolist()
    previous = None
    if previous_p_alive is not None:
        previous = np.array([previous_p_alive.get(k, np.nan) for k in keys], dtype=np.float64)
    risk = assess_at_risk(
        p_alive,
        s.frequency,
        s.days_since_last,
        s.mean_interval_days,
        clv,
        previous_p_alive=previous,
        nps=None if nps is None else [nps.get(k) for k in keys],
        open_tickets=None if open_tickets is None else [open_tickets.get(k, ()) for k in keys],
        thresholds=at_risk_thresholds,
        reference_interval_days=reference_interval_days(
            s.mean_interval_days, lifecycle.default_interval_days
        ),
    )
    return ScoreResult(
        summary=s,
        horizon_days=float(horizon_days),
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        p_alive=p_alive,
        expected_purchases=expected,
        expected_order_value=order_value,
        clv=clv,
        rfm=rfm,
        stage=stage,
        at_risk=risk,
        segment_counts=rfm.counts(),
        stage_counts=stage_counts(stage),
    )
