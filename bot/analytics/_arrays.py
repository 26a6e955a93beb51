"""Array aliases and input checks shared by the analytics modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bot.analytics.errors import InvalidInput

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
StrArray = NDArray[np.str_]


def as_float_1d(values: ArrayLike, name: str) -> FloatArray:
    """A 1-D float64 copy of `values`, refusing NaN and infinities."""
    out = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(out)):
        raise InvalidInput(f"{name} has non-finite values")
    return out


def as_float_1d_nan(values: ArrayLike | Sequence[float | None], name: str) -> FloatArray:
    """A 1-D float64 copy of `values` where NaN means "unknown" (None becomes NaN)."""
    try:
        out = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{name} must be numbers or None") from exc
    if np.any(np.isinf(out)):
        raise InvalidInput(f"{name} has infinite values")
    return out


def same_length(**arrays: NDArray[Any]) -> int:
    """The common length of the named 1-D arrays, or InvalidInput listing their lengths."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise InvalidInput("arrays differ in length: " + ", ".join(f"{k}={v}" for k, v in lengths.items()))
    return next(iter(lengths.values()), 0)


def unique_rows(*columns: FloatArray) -> tuple[tuple[FloatArray, ...], IntArray, IntArray]:
    """Distinct rows of aligned 1-D columns, sorted by the first column, then the second, …

    Returns (the distinct rows as columns, how many rows share each, and for each input row
    the index of its distinct row). Day counts in weeks (every value a whole number of sevenths,
    as `summarize` makes them) pack into one integer key; other values take a lexsort. Both are
    several times faster than np.unique(axis=0), which sorts a void view of the stacked rows.
    """
    n = len(columns[0])
    order = _packed_order(columns)
    if order is None:
        order = np.lexsort(columns[::-1])
    ordered = [c[order] for c in columns]
    new = np.ones(n, dtype=np.bool_)
    if n:
        new[1:] = np.logical_or.reduce([c[1:] != c[:-1] for c in ordered])
    starts = np.flatnonzero(new)
    counts: IntArray = np.diff(np.r_[starts, n]).astype(np.int64)
    inverse: IntArray = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return tuple(c[starts] for c in ordered), counts, inverse


def _packed_order(columns: Sequence[FloatArray]) -> IntArray | None:
    """The sort order through one int64 key, when every value is a non-negative whole number of sevenths."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    room = 1
    for column in columns:
        sevenths = np.rint(column * 7.0)
        if len(column) and (sevenths.min() < 0 or not np.array_equal(sevenths / 7.0, column)):
            return None
        top = int(sevenths.max()) + 1 if len(column) else 1
        room *= top
        if room >= 2**62:
            return None
        key = key * top + sevenths.astype(np.int64)
    order: IntArray = np.argsort(key, kind="stable")
    return order


def dot(a: FloatArray, b: FloatArray) -> float:
    """Σ a·b without BLAS: a threaded BLAS dot wakes its worker threads, which on a busy machine
    costs far more than the sum itself (measured: a fit 30× slower with OpenBLAS's default threads)."""
    return float(np.einsum("i,i->", a, b))
