"""BG/NBD model (Fader, Hardie & Lee 2005): maximum-likelihood fit, P(alive) and expected purchases.

Time is in whatever unit recency and T are given in (the product uses weeks). The
log-likelihood is Hardie's closed form (note 004, section 7) evaluated in log space; the fit
runs L-BFGS-B on the log-parameters with an analytic gradient, over the unique
(x, t_x, T) histories weighted by how many customers share each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1, log_expit

from bot.analytics._arrays import FloatArray, IntArray, as_float_1d, dot, same_length, unique_rows
from bot.analytics.errors import InvalidInput, NotEnoughData, NumericalError

_LOG_BOUND = 20.0  # exp(±20): far beyond any sensible parameter, keeps gammaln/exp finite
_A_NEAR_ONE = 1e-5  # a = 1 is a removable 0/0 in the expected-purchases formula


@dataclass(frozen=True)
class BgNbdParams:
    """Fitted BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    n_customers: int


def check_histories(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[FloatArray, ...]:  # noqa: N803
    """Validated float arrays (x, t_x, T): same length, x whole and >= 0, 0 <= t_x <= T, t_x = 0 if x = 0."""
    x = as_float_1d(frequency, "frequency")
    t_x = as_float_1d(recency, "recency")
    t = as_float_1d(T, "T")
    same_length(frequency=x, recency=t_x, T=t)
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise InvalidInput("frequency must be whole numbers >= 0")
    if np.any(t_x < 0) or np.any(t_x > t):
        raise InvalidInput("need 0 <= recency <= T for every customer")
    if np.any((x == 0) & (t_x != 0)):
        raise InvalidInput("a customer without repeat purchases must have recency 0")
    return x, t_x, t


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803
    *,
    min_customers: int = 10,
    min_repeat_customers: int = 2,
) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters for customers' (x, t_x, T) histories."""
    x, t_x, t = check_histories(frequency, recency, T)
    n = len(x)
    n_repeat = int(np.count_nonzero(x > 0))
    if n < min_customers:
        raise NotEnoughData(f"BG/NBD needs at least {min_customers} customers, got {n}")
    if n_repeat < min_repeat_customers:
        raise NotEnoughData(
            f"BG/NBD needs at least {min_repeat_customers} customers with repeat purchases, got {n_repeat}"
        )
    if not np.any(t > 0):
        raise NotEnoughData("BG/NBD needs customers observed for some time (all T are 0)")

    data = _Histories.of(x, t_x, t)
    # Start alpha at a tenth of the longest age, the scale lifetimes also normalises time to.
    x0 = np.log(np.array([1.0, max(float(t.max()) / 10.0, 1e-3), 1.0, 1.0]))
    result = minimize(
        _neg_mean_log_likelihood,
        x0,
        args=(data,),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4,
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    r, alpha, a, b = (float(v) for v in np.exp(result.x))
    log_lik = -float(result.fun) * n
    if not np.all(np.isfinite([r, alpha, a, b, log_lik])):
        raise NumericalError(f"BG/NBD fit did not converge: {result.message}")
    return BgNbdParams(r=r, alpha=alpha, a=a, b=b, log_likelihood=log_lik, n_customers=n)


def log_likelihood(params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> float:  # noqa: N803
    """Total log-likelihood of the histories under `params`."""
    x, t_x, t = check_histories(frequency, recency, T)
    log_params = np.log([params.r, params.alpha, params.a, params.b])
    neg_mean, _ = _neg_mean_log_likelihood(log_params, _Histories.of(x, t_x, t))
    return -neg_mean * len(x)


@dataclass(frozen=True, eq=False)
class _Histories:
    """Distinct (x, t_x, T) histories weighted by how many customers share each (LIBRARIES.md §8).

    Terms of x alone are evaluated once per distinct x; ln(alpha + T) once per distinct T.
    """

    x: FloatArray
    t_x: FloatArray
    t: FloatArray
    w: FloatArray
    x_values: FloatArray
    x_weights: FloatArray
    x_index: IntArray  # row -> its x in x_values
    t_values: FloatArray  # distinct T: day-granular data has few
    t_index: IntArray
    t_x_values: FloatArray
    t_x_index: IntArray
    total: float

    @classmethod
    def of(cls, x: FloatArray, t_x: FloatArray, t: FloatArray) -> _Histories:
        (ux, utx, ut), counts, _ = unique_rows(x, t_x, t)
        w = counts.astype(np.float64)
        # Rows come sorted by x, so each distinct x is one contiguous run.
        new_x = np.r_[True, ux[1:] != ux[:-1]] if len(ux) else np.zeros(0, dtype=np.bool_)
        x_index: IntArray = (np.cumsum(new_x) - 1).astype(np.int64)
        x_values = ux[new_x]
        x_weights = np.bincount(x_index, weights=w, minlength=len(x_values)).astype(np.float64)
        t_values, t_index = np.unique(ut, return_inverse=True)
        t_x_values, t_x_index = np.unique(utx, return_inverse=True)
        return cls(
            ux,
            utx,
            ut,
            w,
            x_values,
            x_weights,
            x_index,
            t_values,
            t_index,
            t_x_values,
            t_x_index,
            float(w.sum()),
        )


def _neg_mean_log_likelihood(log_params: FloatArray, h: _Histories) -> tuple[float, FloatArray]:
    """Weighted mean negative log-likelihood and its gradient with respect to the log-parameters.

    ln L = A1(x) + A2(x) + ln[(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)]
    """
    r, alpha, a, b = np.exp(log_params)

    # A1 + A2 and their derivatives: functions of x only, summed with each x's total weight.
    xv, wx = h.x_values, h.x_weights
    ll_x = (
        gammaln(r + xv)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + xv)
        - gammaln(b)
        - gammaln(a + b + xv)
    )
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + xv)
    g_x = np.array(
        [
            dot(wx, digamma(r + xv) - digamma(r) + np.log(alpha)),
            r / alpha * h.total,
            dot(wx, psi_ab - psi_abx),
            dot(wx, psi_ab + digamma(b + xv) - digamma(b) - psi_abx),
        ]
    )

    # ln(e^l3 + e^l4) per distinct history, with l3 = -(r+x) ln(alpha+T) and
    # l4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x) (only for x > 0): l3 + softplus(l4 - l3).
    x, w = h.x, h.w
    rx = r + x
    b_xv = b + np.maximum(xv, 1.0) - 1.0  # b + x - 1, kept positive where x = 0 (term masked there)
    inv_b_x1 = (1.0 / b_xv)[h.x_index]
    log_at = np.log(alpha + h.t_values)[h.t_index]
    log_atx = np.log(alpha + h.t_x_values)[h.t_x_index]
    inv_at = (1.0 / (alpha + h.t_values))[h.t_index]
    inv_atx = (1.0 / (alpha + h.t_x_values))[h.t_x_index]
    l3 = -rx * log_at
    d = np.where(x > 0, (np.log(a) - np.log(b_xv))[h.x_index] - rx * (log_atx - log_at), -np.inf)
    s = l3 - log_expit(-d)
    # Shares of the two terms inside the log: the derivative of ln(e^l3 + e^l4) is w3 dl3 + w4 dl4.
    w3 = expit(-d)
    w4 = expit(d)
    g_s = np.array(
        [
            -dot(w, w3 * log_at + w4 * log_atx),
            -dot(w, rx * (w3 * inv_at + w4 * inv_atx)),
            dot(w, w4) / a,
            -dot(w, w4 * inv_b_x1),
        ]
    )

    ll = dot(wx, ll_x) + dot(w, s)
    grad = (g_x + g_s) * np.array([r, alpha, a, b])  # chain rule for the log-parameters
    return -ll / h.total, -grad / h.total


def conditional_probability_alive(
    params: BgNbdParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803
) -> FloatArray:
    """P(customer still alive | x, t_x, T) (Hardie's note 021); 1 for customers without repeats."""
    x, t_x, t = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_odds_dead = np.log(a / (b + np.maximum(x, 1.0) - 1.0)) + (r + x) * (
        np.log(alpha + t) - np.log(alpha + t_x)
    )
    # In BG/NBD a customer can only drop out right after a purchase, so x = 0 means alive.
    p = np.where(x == 0, 1.0, expit(-log_odds_dead))
    return _finite(p, "P(alive)")


def conditional_expected_purchases(
    params: BgNbdParams,
    t: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803
) -> FloatArray:
    """Expected repeat purchases in the next `t` time units given (x, t_x, T) (FHL 2005, eq. 10).

    All arguments broadcast, so `t[:, None]` against per-customer arrays gives a
    horizons × customers table.
    """
    p_alive = conditional_probability_alive(params, frequency, recency, T)
    return _finite(expected_purchases_if_alive(params, t, frequency, T) * p_alive, "expected purchases")


def expected_purchases_if_alive(
    params: BgNbdParams,
    t: ArrayLike,
    frequency: ArrayLike,
    T: ArrayLike,  # noqa: N803
) -> FloatArray:
    """Expected repeat purchases in the next `t` for a customer still alive: a function of (x, T) only."""
    horizon = np.asarray(t, dtype=np.float64)
    if np.any(horizon < 0):
        raise InvalidInput("the prediction horizon t must be >= 0")
    x = np.asarray(frequency, dtype=np.float64)
    age = np.asarray(T, dtype=np.float64)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < _A_NEAR_ONE:
        # (a+b+x-1)/(a-1) · [1 - ...] is 0/0 at a = 1; the mean of both sides is accurate to O(h²).
        return 0.5 * (
            _expected_if_alive(horizon, x, age, r, alpha, 1.0 - _A_NEAR_ONE, b)
            + _expected_if_alive(horizon, x, age, r, alpha, 1.0 + _A_NEAR_ONE, b)
        )
    return _expected_if_alive(horizon, x, age, r, alpha, a, b)


def _expected_if_alive(
    t: FloatArray, x: FloatArray, age: FloatArray, r: float, alpha: float, a: float, b: float
) -> FloatArray:
    """Expected purchases in the next t given the customer is alive now (eq. 10 without P(alive))."""
    z = t / (alpha + age + t)
    c = a + b + x - 1.0
    decay = _hyp2f1_times_power(r + x, b + x, c, z, a, b, r)
    out: FloatArray = c / (a - 1.0) * (1.0 - decay)
    return out


def _hyp2f1_times_power(a1: Any, b1: Any, c: Any, z: Any, a: float, b: float, r: float) -> FloatArray:
    """2F1(r+x, b+x; c; z) · (1-z)^(r+x), computed in its best-conditioned form.

    Euler's transformation turns it into 2F1(a+b-1-r, a-1; c; z) · (1-z)^(a-1), whose upper
    parameters do not grow with x, so the series stays well behaved for frequent buyers; the
    direct form is the fallback where scipy's hyp2f1 returns a non-finite value.
    """
    a1, b1, c, z = np.broadcast_arrays(a1, b1, c, z)
    with np.errstate(all="ignore"):
        euler = hyp2f1(a + b - 1.0 - r, a - 1.0, c, z) * np.power(1.0 - z, a - 1.0)
        value: FloatArray = np.array(euler, dtype=np.float64)  # a writable array even for scalars
        bad = ~np.isfinite(value)
        if np.any(bad):
            value[bad] = hyp2f1(a1[bad], b1[bad], c[bad], z[bad]) * np.exp(a1[bad] * np.log1p(-z[bad]))
    if not np.all(np.isfinite(value)):
        raise NumericalError(
            "the hypergeometric function 2F1 is not finite for these BG/NBD parameters "
            f"(a={a:.6g}, b={b:.6g}, r={r:.6g}); expected purchases cannot be computed"
        )
    return value


def _finite(values: Any, what: str) -> FloatArray:
    """`values` as float64, or NumericalError: callers must never see NaN."""
    out: FloatArray = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(out)):
        raise NumericalError(f"{what} is not finite for some customers")
    return out
