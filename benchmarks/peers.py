"""Our fit + score against lifetimes' BetaGeoFitter + GammaGammaFitter on the same customer summary."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.analytics import (
    CustomerSummary,
    conditional_expected_order_value,
    conditional_expected_purchases,
    conditional_probability_alive,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
)

HORIZON_WEEKS = 90 / 7


@dataclass(frozen=True)
class Side:
    """One implementation's parameters, per-customer outputs and how long fit and score took."""

    params: dict[str, float]
    p_alive: np.ndarray[Any, np.dtype[np.float64]]
    expected: np.ndarray[Any, np.dtype[np.float64]]
    clv: np.ndarray[Any, np.dtype[np.float64]]
    fit_seconds: float
    score_seconds: float
    cpu_seconds: float  # process CPU time of fit + score: steadier than wall time on a shared machine

    @property
    def total(self) -> float:
        return self.fit_seconds + self.score_seconds


@dataclass(frozen=True)
class Comparison:
    ours: Side
    lifetimes: Side

    @property
    def max_param_rel_diff(self) -> float:
        return max(abs(self.ours.params[k] / self.lifetimes.params[k] - 1) for k in self.ours.params)

    @property
    def max_p_alive_diff(self) -> float:
        return float(np.max(np.abs(self.ours.p_alive - self.lifetimes.p_alive)))

    @property
    def max_expected_diff(self) -> float:
        return float(np.max(np.abs(self.ours.expected - self.lifetimes.expected)))

    @property
    def max_clv_rel_diff(self) -> float:
        return float(np.max(np.abs(self.ours.clv / self.lifetimes.clv - 1)))


def ours(s: CustomerSummary) -> Side:
    cpu = time.process_time()
    started = time.perf_counter()
    bg = fit_bgnbd(s.frequency, s.recency, s.T)
    gg = fit_gamma_gamma(s.frequency, s.monetary_value)
    fitted = time.perf_counter()
    p_alive = conditional_probability_alive(bg, s.frequency, s.recency, s.T)
    expected = conditional_expected_purchases(bg, HORIZON_WEEKS, s.frequency, s.recency, s.T)
    value = conditional_expected_order_value(gg, s.frequency, s.monetary_value)
    clv = customer_lifetime_value(
        bg, value, s.frequency, s.recency, s.T, months=12, monthly_discount_rate=0.01
    )
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    params = {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "p": gg.p, "q": gg.q, "v": gg.v}
    return Side(params, p_alive, expected, clv, fitted - started, done - fitted, cpu)


def lifetimes(s: CustomerSummary) -> Side:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pandas as pd
        from lifetimes import BetaGeoFitter, GammaGammaFitter

        f, r, t = pd.Series(s.frequency), pd.Series(s.recency), pd.Series(s.T)
        m = pd.Series(s.monetary_value)
        repeat = (s.frequency > 0) & (s.monetary_value > 0)
        cpu = time.process_time()
        started = time.perf_counter()
        bgf = BetaGeoFitter(penalizer_coef=0.0).fit(f, r, t)
        ggf = GammaGammaFitter(penalizer_coef=0.0).fit(f[repeat], m[repeat])
        fitted = time.perf_counter()
        p_alive = np.asarray(bgf.conditional_probability_alive(f, r, t), dtype=np.float64)
        expected = np.asarray(bgf.conditional_expected_number_of_purchases_up_to_time(HORIZON_WEEKS, f, r, t))
        clv = ggf.customer_lifetime_value(bgf, f, r, t, m, time=12, discount_rate=0.01, freq="W")
        done = time.perf_counter()
        cpu = time.process_time() - cpu
    params = {**{k: float(bgf.params_[k]) for k in ("r", "alpha", "a", "b")}}
    params.update({k: float(ggf.params_[k]) for k in ("p", "q", "v")})
    return Side(
        params,
        p_alive,
        expected.astype(np.float64),
        np.asarray(clv, np.float64),
        fitted - started,
        done - fitted,
        cpu,
    )


def compare(s: CustomerSummary) -> Comparison:
    """Both sides on the same summary (weeks, frequency in distinct purchase days)."""
    return Comparison(ours(s), lifetimes(s))
