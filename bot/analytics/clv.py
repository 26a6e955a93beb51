"""Customer lifetime value: discounted expected purchases × expected order value, month by month."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from bot.analytics._arrays import FloatArray, as_float_1d, same_length, unique_rows
from bot.analytics.bgnbd import (
    BgNbdParams,
    check_histories,
    conditional_probability_alive,
    expected_purchases_if_alive,
)
from bot.analytics.errors import InvalidInput, NumericalError

WEEKS_PER_MONTH = 4.345  # lifetimes' factor for weekly data, so our CLV matches its numbers


def customer_lifetime_value(
    bgnbd: BgNbdParams,
    expected_order_value: ArrayLike,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,  # noqa: N803
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    weeks_per_month: float = WEEKS_PER_MONTH,
) -> FloatArray:
    """Sum over the next `months` of expected purchases in that month × order value, discounted.

    Same definition as lifetimes' `customer_lifetime_value` with time in weeks: month k's
    purchases are E[N(k·w)] - E[N((k-1)·w)] for w weeks per month, discounted by (1+d)^-k.
    """
    if months < 0:
        raise InvalidInput("months must be >= 0")
    if monthly_discount_rate <= -1.0:
        raise InvalidInput("monthly_discount_rate must be > -1")
    x, t_x, t = check_histories(frequency, recency, T)
    value = as_float_1d(expected_order_value, "expected_order_value")
    same_length(frequency=x, expected_order_value=value)
    if months == 0:
        return np.zeros_like(value)
    # E[purchases] = P(alive | x, t_x, T) × E[purchases | alive, x, T]: the expensive second factor
    # (a hypergeometric function per month) depends on (x, T) only, so it is computed once for
    # each distinct pair, which many customers share.
    (ux, ut), _, inverse = unique_rows(x, t)
    steps = np.arange(months + 1, dtype=np.float64)
    # A horizons × pairs table of cumulative purchases if alive; its row differences are per month.
    cumulative = expected_purchases_if_alive(bgnbd, steps[:, None] * weeks_per_month, ux, ut)
    per_month = np.diff(cumulative, axis=0)
    discount = (1.0 + monthly_discount_rate) ** -steps[1:]
    p_alive = conditional_probability_alive(bgnbd, x, t_x, t)
    discounted = np.einsum("k,kn->n", discount, per_month)  # not `@`: see _arrays.dot
    out: FloatArray = value * p_alive * discounted[inverse]
    if not np.all(np.isfinite(out)):
        raise NumericalError("CLV is not finite for some customers")
    return out
