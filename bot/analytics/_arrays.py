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
