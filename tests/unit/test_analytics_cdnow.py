"""The analytics reproduce the published CDNOW estimates and agree with lifetimes, customer by customer."""

from __future__ import annotations

import csv
import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import check_grad

from bot.analytics import (
    SEGMENTS,
    STAGES,
    BgNbdParams,
    CustomerSummary,
    GammaGammaParams,
    NpsAnswer,
    OpenTicket,
    ReasonCode,
    Transactions,
    conditional_expected_order_value,
    conditional_expected_purchases,
    conditional_probability_alive,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
    score_customers,
    summarize,
)
from bot.analytics.bgnbd import _Histories, _neg_mean_log_likelihood
from bot.analytics.gamma_gamma import _neg_mean_log_likelihood as _gg_neg_mean_log_likelihood
from bot.analytics.gamma_gamma import _Spends

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # lifetimes (unmaintained) warns about pandas options on import
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

CDNOW = Path(__file__).parents[2] / "bot" / "demo" / "data" / "cdnow_sample.csv"
AS_OF = np.datetime64("1997-09-30")


@pytest.fixture(scope="module")
def transactions() -> Transactions:
    with CDNOW.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return Transactions.from_arrays(
        np.array([int(r["customer_id"]) for r in rows]),
        np.array([r["date"] for r in rows], dtype="datetime64[D]"),
        np.array([float(r["amount"]) for r in rows]),
    )


@pytest.fixture(scope="module")
def summary(transactions: Transactions) -> CustomerSummary:
    return summarize(transactions, AS_OF)


@pytest.fixture(scope="module")
def bgnbd(summary: CustomerSummary) -> BgNbdParams:
    return fit_bgnbd(summary.frequency, summary.recency, summary.T)


@pytest.fixture(scope="module")
def gamma_gamma(summary: CustomerSummary) -> GammaGammaParams:
    return fit_gamma_gamma(summary.frequency, summary.monetary_value)


@pytest.fixture(scope="module")
def lifetimes_bgf(bgnbd: BgNbdParams) -> Any:
    """A lifetimes BetaGeoFitter carrying OUR fitted parameters, to compare formulas."""
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series([bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b], index=["r", "alpha", "a", "b"])
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # what fit() would set
    return bgf


@pytest.fixture(scope="module")
def lifetimes_ggf(gamma_gamma: GammaGammaParams) -> Any:
    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series([gamma_gamma.p, gamma_gamma.q, gamma_gamma.v], index=["p", "q", "v"])
    return ggf


def test_cdnow_sample_is_the_published_one(transactions: Transactions, summary: CustomerSummary) -> None:
    assert len(transactions) == 6919
    assert summary.n_customers == 2357
    assert int(summary.frequency.sum()) == 2457  # repeat purchase days in the 39-week calibration period


def test_summary_equals_lifetimes_summary_in_weeks(
    transactions: Transactions, summary: CustomerSummary
) -> None:
    frame = pd.DataFrame(
        {
            "customer": transactions.customer,
            "date": transactions.day.astype("datetime64[D]").astype("datetime64[ns]"),
            "amount": transactions.amount,
        }
    )
    theirs = summary_data_from_transaction_data(
        frame, "customer", "date", "amount", observation_period_end="1997-09-30", freq="D"
    ).sort_index()
    np.testing.assert_array_equal(theirs.index.to_numpy(), summary.customer)
    np.testing.assert_array_equal(theirs["frequency"].to_numpy(), summary.frequency)
    np.testing.assert_allclose(theirs["recency"].to_numpy() / 7, summary.recency, rtol=0, atol=1e-12)
    np.testing.assert_allclose(theirs["T"].to_numpy() / 7, summary.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(
        theirs["monetary_value"].to_numpy(), summary.monetary_value, rtol=1e-12, atol=1e-9
    )


def test_bgnbd_fit_reproduces_published_cdnow_parameters(bgnbd: BgNbdParams) -> None:
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert getattr(bgnbd, name) == pytest.approx(value, rel=0.01), name
    assert bgnbd.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    assert bgnbd.n_customers == 2357


def test_bgnbd_fit_agrees_with_lifetimes_own_fit(summary: CustomerSummary, bgnbd: BgNbdParams) -> None:
    theirs = BetaGeoFitter().fit(summary.frequency, summary.recency, summary.T).params_
    for name in ("r", "alpha", "a", "b"):
        assert getattr(bgnbd, name) == pytest.approx(theirs[name], rel=1e-4), name


def test_bgnbd_gradient_matches_finite_differences(summary: CustomerSummary) -> None:
    histories = _Histories.of(summary.frequency.astype(np.float64), summary.recency, summary.T)

    def f(p: Any) -> float:
        return _neg_mean_log_likelihood(p, histories)[0]

    def g(p: Any) -> Any:
        return _neg_mean_log_likelihood(p, histories)[1]

    for params in ([0.3, 5.0, 0.8, 2.5], [1.0, 1.0, 1.0, 1.0], [2.0, 0.5, 3.0, 0.3]):
        assert check_grad(f, g, np.log(params)) < 1e-5


def test_gamma_gamma_gradient_matches_finite_differences(summary: CustomerSummary) -> None:
    repeat = summary.frequency > 0
    spends = _Spends.of(summary.frequency[repeat].astype(np.float64), summary.monetary_value[repeat])

    def f(p: Any) -> float:
        return _gg_neg_mean_log_likelihood(p, spends)[0]

    def g(p: Any) -> Any:
        return _gg_neg_mean_log_likelihood(p, spends)[1]

    for params in ([6.0, 3.7, 15.0], [1.0, 1.5, 2.0], [20.0, 10.0, 100.0]):
        # A step of 1e-6: the likelihood is a sum of large terms, so a smaller one measures rounding.
        assert check_grad(f, g, np.log(params), epsilon=1e-6) < 1e-5 * max(
            1.0, float(np.linalg.norm(g(np.log(params))))
        )


def test_p_alive_matches_lifetimes_for_every_customer(
    summary: CustomerSummary, bgnbd: BgNbdParams, lifetimes_bgf: Any
) -> None:
    ours = conditional_probability_alive(bgnbd, summary.frequency, summary.recency, summary.T)
    theirs = lifetimes_bgf.conditional_probability_alive(summary.frequency, summary.recency, summary.T)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)
    assert np.all((ours > 0) & (ours <= 1))


@pytest.mark.parametrize("weeks", [1.0, 90 / 7, 39.0, 104.0])
def test_expected_purchases_match_lifetimes_for_every_customer(
    summary: CustomerSummary, bgnbd: BgNbdParams, lifetimes_bgf: Any, weeks: float
) -> None:
    ours = conditional_expected_purchases(bgnbd, weeks, summary.frequency, summary.recency, summary.T)
    theirs = lifetimes_bgf.conditional_expected_number_of_purchases_up_to_time(
        weeks, summary.frequency, summary.recency, summary.T
    )
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_gamma_gamma_fit_reproduces_published_cdnow_parameters(gamma_gamma: GammaGammaParams) -> None:
    assert gamma_gamma.p == pytest.approx(6.25, rel=0.01)
    assert gamma_gamma.q == pytest.approx(3.74, rel=0.01)
    assert gamma_gamma.v == pytest.approx(15.44, rel=0.01)
    assert gamma_gamma.n_customers == 946
    assert gamma_gamma.n_excluded == 0


def test_expected_order_value_matches_lifetimes(
    summary: CustomerSummary, gamma_gamma: GammaGammaParams, lifetimes_ggf: Any
) -> None:
    ours = conditional_expected_order_value(gamma_gamma, summary.frequency, summary.monetary_value)
    theirs = lifetimes_ggf.conditional_expected_average_profit(
        pd.Series(summary.frequency), pd.Series(summary.monetary_value)
    )
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-9)


def test_clv_matches_lifetimes_customer_lifetime_value(
    summary: CustomerSummary,
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    lifetimes_bgf: Any,
    lifetimes_ggf: Any,
) -> None:
    order_value = conditional_expected_order_value(gamma_gamma, summary.frequency, summary.monetary_value)
    ours = customer_lifetime_value(
        bgnbd,
        order_value,
        summary.frequency,
        summary.recency,
        summary.T,
        months=12,
        monthly_discount_rate=0.01,
    )
    theirs = lifetimes_ggf.customer_lifetime_value(
        lifetimes_bgf,
        pd.Series(summary.frequency),
        pd.Series(summary.recency),
        pd.Series(summary.T),
        pd.Series(summary.monetary_value),
        time=12,
        discount_rate=0.01,
        freq="W",
    )
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=1e-6)
    assert np.all(ours > 0)


def test_scoring_cdnow_covers_every_customer_with_finite_numbers(transactions: Transactions) -> None:
    result = score_customers(transactions, AS_OF)
    n = result.n_customers
    assert n == 2357
    for name in ("p_alive", "expected_purchases", "expected_order_value", "clv"):
        values = getattr(result, name)
        assert values.shape == (n,) and np.all(np.isfinite(values)), name
    assert set(result.rfm.segment) <= set(SEGMENTS)
    assert sum(result.segment_counts.values()) == n
    assert list(result.segment_counts) == list(SEGMENTS)
    assert set(result.stage) <= set(STAGES) and sum(result.stage_counts.values()) == n
    assert result.bgnbd.r == pytest.approx(0.243, rel=0.01)
    assert 0 < result.at_risk.n_flagged < n


def test_champions_are_the_most_recent_and_frequent_segment(transactions: Transactions) -> None:
    rfm = score_customers(transactions, AS_OF).rfm
    present = [s for s in SEGMENTS if np.any(rfm.segment == s)]
    mean_r = {s: rfm.r[rfm.segment == s].mean() for s in present}
    mean_f = {s: rfm.f[rfm.segment == s].mean() for s in present}
    assert max(mean_r, key=lambda s: mean_r[s]) == "Champions"
    assert max(present, key=lambda s: mean_r[s] + mean_f[s]) == "Champions"
    # Only "Can't Lose Them" (by definition F = M = 5, but lapsed) may buy more often than Champions.
    assert all(mean_f["Champions"] > mean_f[s] for s in present if s not in ("Champions", "Can't Lose Them"))


def test_expected_purchases_horizon_is_in_days(transactions: Transactions, summary: CustomerSummary) -> None:
    result = score_customers(transactions, AS_OF, horizon_days=28)
    four_weeks = conditional_expected_purchases(
        result.bgnbd, 4.0, summary.frequency, summary.recency, summary.T
    )
    np.testing.assert_allclose(result.expected_purchases, four_weeks)


def test_scoring_takes_nps_tickets_and_previous_p_alive_keyed_by_customer(transactions: Transactions) -> None:
    plain = score_customers(transactions, AS_OF)
    healthy = int(plain.customer[np.flatnonzero(~plain.at_risk.flagged)[0]])
    result = score_customers(
        transactions,
        AS_OF,
        nps={healthy: NpsAnswer(2, dt.date(1997, 9, 1), "wrong CD shipped")},
        open_tickets={healthy: [OpenTicket("T-9", 100.0)]},
        previous_p_alive={healthy: 0.99},
    )
    i = int(np.flatnonzero(result.customer == healthy)[0])
    assert result.at_risk.flagged[i]
    assert {r.code for r in result.at_risk.reasons[i]} == {ReasonCode.LOW_NPS, ReasonCode.TICKET_OPEN}
    assert result.at_risk.n_flagged == plain.at_risk.n_flagged + 1
