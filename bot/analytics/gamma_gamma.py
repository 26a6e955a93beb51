"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005b; Hardie's note 025): fit and expected order value.

A customer's mean spend per repeat purchase day m over x repeat days is modelled as
m·x ~ Gamma(p·x, nu) with nu ~ Gamma(q, v). Only customers with at least one repeat purchase
and a positive mean spend carry information about it; the others are left out of the fit and
counted in `n_excluded` (zero-spend repeat buyers) rather than breaking it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from bot.analytics._arrays import FloatArray, as_float_1d, dot, same_length
from bot.analytics.errors import InvalidInput, NotEnoughData, NumericalError

_LOG_BOUND = 20.0  # exp(±20): keeps the optimiser inside the range where gammaln is exact


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters and how many customers the fit used and left out."""

    p: float
    q: float
    v: float
    log_likelihood: float
    n_customers: int  # repeat buyers with positive mean spend: the ones fitted
    n_excluded: int  # repeat buyers with zero (or negative) mean spend, left out

    @property
    def population_mean(self) -> float:
        """Expected mean spend per purchase of a customer we know nothing about, v·p / (q-1)."""
        if self.q <= 1.0:
            raise NumericalError(f"Gamma-Gamma q = {self.q:.4g} <= 1: the population mean spend is unbounded")
        return self.v * self.p / (self.q - 1.0)


def fit_gamma_gamma(
    frequency: ArrayLike, monetary_value: ArrayLike, *, min_customers: int = 3
) -> GammaGammaParams:
    """Maximum-likelihood (p, q, v) from repeat buyers' frequency and mean spend per repeat day."""
    x_all = as_float_1d(frequency, "frequency")
    m_all = as_float_1d(monetary_value, "monetary_value")
    same_length(frequency=x_all, monetary_value=m_all)
    if np.any(x_all < 0):
        raise InvalidInput("frequency must be >= 0")
    repeat = x_all >= 1
    usable = repeat & (m_all > 0)
    n_excluded = int(np.count_nonzero(repeat & ~usable))
    x, m = x_all[usable], m_all[usable]
    if len(x) < min_customers:
        raise NotEnoughData(
            f"Gamma-Gamma needs at least {min_customers} repeat buyers with positive spend, got {len(x)}"
            + (f" ({n_excluded} repeat buyers spent nothing)" if n_excluded else "")
        )
    if np.ptp(m) == 0:
        raise NotEnoughData("Gamma-Gamma needs some variation in spend; every repeat buyer spends the same")

    x0 = np.log(np.array([1.0, 1.0, float(np.mean(m))]))  # v carries the currency scale
    result = minimize(
        _neg_mean_log_likelihood,
        x0,
        args=(_Spends.of(x, m),),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 3,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    p, q, v = (float(val) for val in np.exp(result.x))
    log_lik = -float(result.fun) * len(x)
    if not np.all(np.isfinite([p, q, v, log_lik])):
        raise NumericalError(f"Gamma-Gamma fit did not converge: {result.message}")
    return GammaGammaParams(p=p, q=q, v=v, log_likelihood=log_lik, n_customers=len(x), n_excluded=n_excluded)


@dataclass(frozen=True, eq=False)
class _Spends:
    """Repeat buyers' (x, m) packed for the likelihood.

    The gamma-function terms depend on p·x alone, so they are evaluated once per distinct
    frequency; the terms in m reduce to sums fixed before the fit, except ln(x·m + v).
    """

    x: FloatArray
    xm: FloatArray
    x_values: FloatArray
    x_counts: FloatArray
    sum_log_m: float
    sum_x_log_m: float
    sum_x_log_x: float
    n: int

    @classmethod
    def of(cls, x: FloatArray, m: FloatArray) -> _Spends:
        x_values, counts = np.unique(x, return_counts=True)
        log_m = np.log(m)
        return cls(
            x=x,
            xm=x * m,
            x_values=x_values,
            x_counts=counts.astype(np.float64),
            sum_log_m=float(log_m.sum()),
            sum_x_log_m=dot(x, log_m),
            sum_x_log_x=dot(x, np.log(x)),
            n=len(x),
        )


def _neg_mean_log_likelihood(log_params: FloatArray, d: _Spends) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood and its gradient with respect to (ln p, ln q, ln v).

    ln L_i = ln Γ(px+q) - ln Γ(px) - ln Γ(q) + q ln v + (px-1) ln m + px ln x - (px+q) ln(xm+v)
    """
    p, q, v = np.exp(log_params)
    n, xv, c = d.n, d.x_values, d.x_counts
    pxv = p * xv
    log_xmv = np.log(d.xm + v)
    inv_xmv = 1.0 / (d.xm + v)
    x_log_xmv, sum_log_xmv = dot(d.x, log_xmv), float(log_xmv.sum())
    ll = (
        dot(c, gammaln(pxv + q) - gammaln(pxv))
        - n * gammaln(q)
        + n * q * np.log(v)
        + p * d.sum_x_log_m
        - d.sum_log_m
        + p * d.sum_x_log_x
        - p * x_log_xmv
        - q * sum_log_xmv
    )
    psi = digamma(pxv + q)
    d_p = dot(c, xv * (psi - digamma(pxv))) + d.sum_x_log_m + d.sum_x_log_x - x_log_xmv
    d_q = dot(c, psi) - n * digamma(q) + n * np.log(v) - sum_log_xmv
    d_v = n * q / v - p * dot(d.x, inv_xmv) - q * float(inv_xmv.sum())
    grad = np.array([d_p * p, d_q * q, d_v * v]) / n
    return -float(ll) / n, -grad


def conditional_expected_order_value(
    params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike
) -> FloatArray:
    """E[mean spend per purchase | x, m]: the customer's own mean shrunk towards the population mean.

    Equals p·(v + x·m) / (p·x + q - 1); customers without repeats get the population mean, and a
    zero or negative mean spend counts as 0 (the model is only defined for positive spend).
    """
    x = as_float_1d(frequency, "frequency")
    m = np.maximum(as_float_1d(monetary_value, "monetary_value"), 0.0)
    same_length(frequency=x, monetary_value=m)
    denominator = params.p * x + params.q - 1.0
    if np.any(denominator <= 0):
        raise NumericalError(
            f"Gamma-Gamma q = {params.q:.4g} <= 1: expected spend without repeat purchases is unbounded"
        )
    out: FloatArray = params.p * (params.v + x * m) / denominator
    return out
