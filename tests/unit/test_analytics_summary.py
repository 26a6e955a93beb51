"""Per-customer summaries from a purchase log: distinct days, weeks, what counts up to the as-of date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from bot.analytics import InvalidInput, Transactions, summarize


def log(*rows: tuple[int, str, float]) -> Transactions:
    return Transactions.from_arrays(
        np.array([r[0] for r in rows]),
        np.array([r[1] for r in rows], dtype="datetime64[D]"),
        np.array([r[2] for r in rows]),
    )


def test_several_purchases_on_one_day_are_one_purchase_occasion() -> None:
    s = summarize(
        log((7, "2024-01-01", 10.0), (7, "2024-01-15", 5.0), (7, "2024-01-15", 3.0), (7, "2024-01-29", 4.0)),
        "2024-02-05",
    )
    assert s.frequency.tolist() == [2]
    assert s.n_orders.tolist() == [4]
    assert s.monetary_value.tolist() == [pytest.approx(6.0)]  # (5 + 3) and 4: mean over repeat days
    assert s.total_spend.tolist() == [pytest.approx(22.0)]
    assert s.recency.tolist() == [pytest.approx(4.0)]  # 28 days
    assert s.T.tolist() == [pytest.approx(5.0)]  # 35 days
    assert s.mean_interval_days.tolist() == [pytest.approx(14.0)]
    assert s.days_since_last.tolist() == [7]


def test_purchases_on_the_as_of_date_count_and_later_ones_do_not() -> None:
    s = summarize(
        log((1, "2024-03-01", 10.0), (1, "2024-03-10", 20.0), (1, "2024-03-11", 99.0)), "2024-03-10"
    )
    assert s.frequency.tolist() == [1]
    assert s.monetary_value.tolist() == [20.0]
    assert s.last_purchase.tolist() == [np.datetime64("2024-03-10")]
    assert s.days_since_last.tolist() == [0]


def test_customers_whose_first_purchase_is_after_as_of_are_not_listed() -> None:
    s = summarize(log((1, "2024-03-01", 10.0), (2, "2024-04-01", 10.0)), np.datetime64("2024-03-15"))
    assert s.customer.tolist() == [1]


def test_one_time_buyers_have_no_repeat_spend_and_no_interval() -> None:
    s = summarize(log((3, "2024-01-01", 50.0), (4, "2024-01-01", 1.0), (4, "2024-01-08", 2.0)), "2024-01-08")
    assert s.customer.tolist() == [3, 4]
    assert s.frequency.tolist() == [0, 1]
    assert s.recency.tolist() == [0.0, 1.0]
    assert s.monetary_value.tolist() == [0.0, 2.0]
    assert np.isnan(s.mean_interval_days[0]) and s.mean_interval_days[1] == 7.0


def test_int_day_numbers_and_dates_give_the_same_summary() -> None:
    dates = np.array(["2024-01-01", "2024-01-20", "2024-01-05"], dtype="datetime64[D]")
    by_date = summarize(Transactions.from_arrays([5, 5, 6], dates, [1.0, 2.0, 3.0]), dt.date(2024, 2, 1))
    by_int = summarize(
        Transactions.from_arrays([5, 5, 6], dates.astype(np.int64), [1.0, 2.0, 3.0]),
        int(np.datetime64("2024-02-01").astype(np.int64)),
    )
    for name in ("customer", "frequency", "recency", "T", "monetary_value", "first_purchase"):
        np.testing.assert_array_equal(getattr(by_date, name), getattr(by_int, name))


def test_unsorted_input_gives_the_same_summary_as_sorted() -> None:
    rng = np.random.default_rng(3)
    cust = rng.integers(0, 50, 400)
    day = rng.integers(0, 200, 400)
    amount = rng.gamma(2.0, 10.0, 400)
    order = np.lexsort((day, cust))
    a = summarize(Transactions.from_arrays(cust, day, amount), 200)
    b = summarize(Transactions.from_arrays(cust[order], day[order], amount[order]), 200)
    np.testing.assert_array_equal(a.frequency, b.frequency)
    np.testing.assert_allclose(a.monetary_value, b.monetary_value)
    np.testing.assert_allclose(a.total_spend, b.total_spend)


def test_nobody_before_as_of_gives_an_empty_summary() -> None:
    s = summarize(log((1, "2024-03-01", 10.0)), "2024-01-01")
    assert s.n_customers == 0 and s.frequency.shape == (0,)


@pytest.mark.parametrize(
    ("customer", "date", "amount"),
    [
        ([1, 2], [0, 1], [1.0]),  # lengths differ
        ([1], [0], [float("nan")]),  # missing amount
        ([1.5], [0], [1.0]),  # customer keys must be integers
        ([1], ["2024-01-01"], [1.0]),  # dates as strings: convert at the edge
    ],
)
def test_malformed_logs_are_refused_with_invalid_input(
    customer: list[float], date: list[Any], amount: list[float]
) -> None:
    with pytest.raises(InvalidInput):
        Transactions.from_arrays(customer, date, amount)


def test_as_of_may_be_a_datetime_or_iso_string_and_nonsense_is_refused() -> None:
    tx = log((1, "2024-03-01", 10.0), (1, "2024-03-10", 20.0))
    by_datetime = summarize(tx, dt.datetime(2024, 3, 10, 23, 59))
    assert by_datetime.frequency.tolist() == [1] and by_datetime.as_of == np.datetime64("2024-03-10")
    with pytest.raises(InvalidInput):
        summarize(tx, "next tuesday")
