"""Per-customer purchase summary (frequency, recency, T, spend) from a transaction log, vectorised."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bot.analytics._arrays import FloatArray, IntArray, as_float_1d, same_length
from bot.analytics.errors import InvalidInput

DAYS_PER_WEEK = 7.0

#: A date: numpy datetime64, `datetime.date`, an ISO string or an int day number (days since 1970-01-01).
DateLike = np.datetime64 | dt.date | str | int


def to_day_number(value: DateLike) -> int:
    """Days since 1970-01-01 for a date, datetime64, ISO string or int day number."""
    if isinstance(value, bool):
        raise InvalidInput("a date cannot be a bool")
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, dt.datetime):
        value = value.date()  # the calendar day the caller sees, not the UTC day
    try:
        day = value.astype("datetime64[D]") if isinstance(value, np.datetime64) else np.datetime64(value, "D")
    except ValueError as exc:
        raise InvalidInput(f"not a date: {value!r}") from exc
    if np.isnat(day):
        raise InvalidInput("a date is missing (NaT)")
    return int(day.astype(np.int64))


def to_day_numbers(values: ArrayLike) -> IntArray:
    """Day numbers (days since 1970-01-01) for an array of datetime64 values or int day numbers."""
    arr = np.asarray(values).reshape(-1)
    if np.issubdtype(arr.dtype, np.datetime64):
        days = arr.astype("datetime64[D]")
        if np.any(np.isnat(days)):
            raise InvalidInput("purchase dates contain NaT")
        return days.astype(np.int64)
    if np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    raise InvalidInput(f"purchase dates must be datetime64 or int day numbers, not {arr.dtype}")


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class Transactions:
    """A purchase log: one row per purchase, aligned arrays."""

    customer: IntArray  # the caller's integer customer key (e.g. a database id or a row index)
    day: IntArray  # purchase date as days since 1970-01-01
    amount: FloatArray  # amount spent; 0 is a valid purchase

    @classmethod
    def from_arrays(cls, customer: ArrayLike, date: ArrayLike, amount: ArrayLike) -> Transactions:
        """Validate and convert: dates as datetime64 or int day numbers, finite amounts."""
        cust = np.asarray(customer).reshape(-1)
        if cust.size and not np.issubdtype(cust.dtype, np.integer):
            raise InvalidInput(f"customer keys must be integers, not {cust.dtype}")
        days = to_day_numbers(date)
        amt = as_float_1d(amount, "amount")
        same_length(customer=cust, date=days, amount=amt)
        return cls(customer=cust.astype(np.int64), day=days, amount=amt)

    def __len__(self) -> int:
        return len(self.customer)


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class CustomerSummary:
    """One entry per customer with at least one purchase on or before `as_of`, sorted by key."""

    as_of: np.datetime64
    customer: IntArray
    frequency: IntArray  # distinct purchase days after the first (BG/NBD x)
    recency: FloatArray  # weeks from first to last purchase day (BG/NBD t_x)
    T: FloatArray  # weeks from first purchase day to as_of (BG/NBD T)
    monetary_value: FloatArray  # mean spend per repeat purchase day; 0 for one-time buyers
    total_spend: FloatArray  # all purchases up to as_of, the first one included
    n_orders: IntArray  # purchase rows (several on one day count separately)
    first_purchase: NDArray[np.datetime64]
    last_purchase: NDArray[np.datetime64]
    days_since_last: IntArray  # as_of - last purchase day
    mean_interval_days: FloatArray  # mean days between distinct purchase days; NaN for one-time buyers

    @property
    def n_customers(self) -> int:
        """Number of customers summarised."""
        return len(self.customer)


def summarize(transactions: Transactions, as_of: DateLike) -> CustomerSummary:
    """Summarise each customer's purchases dated on or before `as_of` (time in weeks)."""
    as_of_day = to_day_number(as_of)
    keep = transactions.day <= as_of_day
    cust, day, amount = transactions.customer[keep], transactions.day[keep], transactions.amount[keep]
    keys, idx = np.unique(cust, return_inverse=True)
    k = len(keys)
    if k == 0:
        return _empty_summary(as_of_day)

    # Sort by (customer, day) so each customer-day is one contiguous run and customers are blocks.
    order = np.lexsort((day, idx))
    c, d, a = idx[order], day[order], amount[order]
    run_start = np.ones(len(c), dtype=bool)
    run_start[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
    starts = np.flatnonzero(run_start)
    day_cust, day_date = c[starts], d[starts]
    day_spend = np.add.reduceat(a, starts)  # several purchases on one day are one purchase occasion

    n_days = np.bincount(day_cust, minlength=k)
    first_run = np.cumsum(n_days) - n_days
    last_run = first_run + n_days - 1
    first_day, last_day = day_date[first_run], day_date[last_run]
    frequency = n_days - 1

    is_repeat = np.ones(len(starts), dtype=bool)
    is_repeat[first_run] = False
    # Sum repeat days directly rather than total - first, to match a mean over repeat days exactly.
    repeat_spend = np.bincount(day_cust[is_repeat], weights=day_spend[is_repeat], minlength=k)
    monetary = np.divide(repeat_spend, frequency, out=np.zeros(k), where=frequency > 0)
    span_days = (last_day - first_day).astype(np.float64)
    interval = np.divide(span_days, frequency, out=np.full(k, np.nan), where=frequency > 0)

    return CustomerSummary(
        as_of=np.datetime64(as_of_day, "D"),
        customer=keys.astype(np.int64),
        frequency=frequency.astype(np.int64),
        recency=span_days / DAYS_PER_WEEK,
        T=(as_of_day - first_day).astype(np.float64) / DAYS_PER_WEEK,
        monetary_value=monetary,
        total_spend=np.bincount(day_cust, weights=day_spend, minlength=k).astype(np.float64),
        n_orders=np.bincount(c, minlength=k).astype(np.int64),
        first_purchase=first_day.astype("datetime64[D]"),
        last_purchase=last_day.astype("datetime64[D]"),
        days_since_last=(as_of_day - last_day).astype(np.int64),
        mean_interval_days=interval,
    )


def _empty_summary(as_of_day: int) -> CustomerSummary:
    """The summary of nobody (no purchase on or before as_of)."""
    ints = np.zeros(0, dtype=np.int64)
    floats = np.zeros(0, dtype=np.float64)
    dates = np.zeros(0, dtype="datetime64[D]")
    return CustomerSummary(
        as_of=np.datetime64(as_of_day, "D"),
        customer=ints,
        frequency=ints,
        recency=floats,
        T=floats,
        monetary_value=floats,
        total_spend=floats,
        n_orders=ints,
        first_purchase=dates,
        last_purchase=dates,
        days_since_last=ints,
        mean_interval_days=floats,
    )
