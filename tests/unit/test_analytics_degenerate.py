"""Data the models cannot fit gives a typed error; extreme but valid data gives finite numbers, never NaN."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy.special import hyp2f1

from bot.analytics import (
    AnalyticsError,
    BgNbdParams,
    InvalidInput,
    NotEnoughData,
    NumericalError,
    Transactions,
    conditional_expected_order_value,
    conditional_expected_purchases,
    conditional_probability_alive,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    score_customers,
)

CDNOW_LIKE = BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0, n_customers=0)


def synthetic_log(n_customers: int = 300, seed: int = 1, zero_amounts: bool = False) -> Transactions:
    """Customers buying every few weeks for a while, some only once."""
    rng = np.random.default_rng(seed)
    counts = rng.geometric(0.4, n_customers)
    cust = np.repeat(np.arange(n_customers), counts)
    start = np.repeat(rng.integers(0, 100, n_customers), counts)
    gaps = rng.integers(1, 40, len(cust))
    first = np.r_[True, cust[1:] != cust[:-1]]
    # Cumulative gaps within each customer: the first purchase is on the start day.
    offset = np.cumsum(np.where(first, 0, gaps))
    offset -= np.repeat(offset[first], counts)
    amount = np.zeros(len(cust)) if zero_amounts else rng.gamma(3.0, 12.0, len(cust))
    return Transactions.from_arrays(cust, start + offset, amount)


def test_one_customer_is_not_enough_data() -> None:
    tx = Transactions.from_arrays([1, 1, 1], [0, 10, 20], [5.0, 6.0, 7.0])
    with pytest.raises(NotEnoughData):
        score_customers(tx, 30)


def test_no_repeat_buyers_is_not_enough_data() -> None:
    tx = Transactions.from_arrays(np.arange(50), np.arange(50), np.full(50, 9.0))
    with pytest.raises(NotEnoughData, match="repeat"):
        score_customers(tx, 60)


def test_all_zero_amounts_is_not_enough_data_for_spend() -> None:
    with pytest.raises(NotEnoughData, match="positive spend"):
        score_customers(synthetic_log(zero_amounts=True), 400)


def test_nobody_before_as_of_is_not_enough_data() -> None:
    with pytest.raises(NotEnoughData):
        score_customers(synthetic_log(), -1)


def test_analytics_errors_share_one_base_class() -> None:
    assert issubclass(NotEnoughData, AnalyticsError) and issubclass(InvalidInput, AnalyticsError)


def test_zero_spend_repeat_buyers_are_left_out_of_the_spend_fit_and_counted() -> None:
    rng = np.random.default_rng(0)
    x = np.r_[rng.integers(1, 6, 40), [2, 3, 0]]
    m = np.r_[rng.gamma(4.0, 5.0, 40), [0.0, 0.0, 0.0]]
    params = fit_gamma_gamma(x, m)
    assert params.n_customers == 40 and params.n_excluded == 2
    value = conditional_expected_order_value(params, x, m)
    assert np.all(np.isfinite(value)) and np.all(value > 0)


def test_equal_spend_everywhere_is_not_enough_data_for_spend() -> None:
    with pytest.raises(NotEnoughData, match="variation"):
        fit_gamma_gamma([1, 2, 3, 4], [10.0, 10.0, 10.0, 10.0])


def test_scoring_a_small_synthetic_shop_gives_finite_numbers() -> None:
    result = score_customers(synthetic_log(), 400)
    for values in (result.p_alive, result.expected_purchases, result.expected_order_value, result.clv):
        assert np.all(np.isfinite(values))
    assert np.all(result.at_risk.risk_score >= 0) and np.all(result.at_risk.risk_score <= 1)


@pytest.mark.parametrize(
    ("frequency", "recency", "age"),
    [
        ([1, 2], [3.0, 5.0], [4.0, 4.0]),  # recency > T
        ([0, 1], [1.0, 0.0], [4.0, 4.0]),  # recency without repeats
        ([1.5, 1], [1.0, 1.0], [4.0, 4.0]),  # fractional frequency
        ([1, 1], [1.0, np.nan], [4.0, 4.0]),
    ],
)
def test_impossible_histories_are_invalid_input(
    frequency: list[float], recency: list[float], age: list[float]
) -> None:
    with pytest.raises(InvalidInput):
        fit_bgnbd(frequency * 10, recency * 10, age * 10)


def test_expected_purchases_are_continuous_through_a_equal_one() -> None:
    x, t_x, age = np.array([0.0, 3.0, 12.0]), np.array([0.0, 10.0, 30.0]), np.array([20.0, 20.0, 35.0])
    values = [
        conditional_expected_purchases(
            BgNbdParams(r=0.5, alpha=4.0, a=a, b=2.5, log_likelihood=0.0, n_customers=0), 13.0, x, t_x, age
        )
        for a in (1.0 - 1e-3, 1.0 - 1e-7, 1.0, 1.0 + 1e-7, 1.0 + 1e-3)
    ]
    assert all(np.all(np.isfinite(v)) for v in values)
    np.testing.assert_allclose(values[2], values[0], rtol=1e-3)
    np.testing.assert_allclose(values[2], values[1], rtol=1e-6)
    np.testing.assert_allclose(values[2], values[4], rtol=1e-3)


def test_extreme_histories_give_finite_predictions() -> None:
    x = np.array([0.0, 1.0, 50.0, 500.0, 5000.0])
    age = np.array([0.0, 1000.0, 1000.0, 1000.0, 1000.0])
    t_x = np.array([0.0, 0.0, 10.0, 999.0, 1000.0])
    p = conditional_probability_alive(CDNOW_LIKE, x, t_x, age)
    assert np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
    for weeks in (0.0, 1.0, 52.0, 5200.0):
        e = conditional_expected_purchases(CDNOW_LIKE, weeks, x, t_x, age)
        assert np.all(np.isfinite(e)) and np.all(e >= 0)
    clv = customer_lifetime_value(CDNOW_LIKE, np.full(5, 20.0), x, t_x, age, months=120)
    assert np.all(np.isfinite(clv))


def test_nothing_expected_over_a_zero_horizon() -> None:
    assert conditional_expected_purchases(CDNOW_LIKE, 0.0, [2], [5.0], [10.0]).tolist() == [0.0]


def test_a_customer_who_bought_just_now_is_surely_alive() -> None:
    assert conditional_probability_alive(CDNOW_LIKE, [4], [10.0], [10.0])[0] > 0.7
    assert conditional_probability_alive(CDNOW_LIKE, [0], [0.0], [30.0])[0] == 1.0


def test_expected_purchases_fall_back_to_the_direct_form_when_hyp2f1_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    x, t_x, age = np.array([0.0, 2.0, 9.0]), np.array([0.0, 10.0, 30.0]), np.array([20.0, 20.0, 35.0])
    expected = conditional_expected_purchases(CDNOW_LIKE, 13.0, x, t_x, age)

    def euler_form_fails(a: Any, b: Any, c: Any, z: Any) -> Any:
        value = hyp2f1(a, b, c, z)
        return np.full_like(value, np.nan) if np.allclose(b, CDNOW_LIKE.a - 1.0) else value

    monkeypatch.setattr("bot.analytics.bgnbd.hyp2f1", euler_form_fails)
    np.testing.assert_allclose(
        conditional_expected_purchases(CDNOW_LIKE, 13.0, x, t_x, age), expected, rtol=1e-9
    )


def test_a_pole_of_hyp2f1_is_a_numerical_error_not_nan() -> None:
    on_pole = BgNbdParams(
        r=0.5, alpha=4.0, a=0.4, b=0.6, log_likelihood=0.0, n_customers=0
    )  # c = a + b - 1 = 0
    with pytest.raises(NumericalError):
        conditional_expected_purchases(on_pole, 10.0, [0], [0.0], [10.0])
