"""RFM quintile scores (1-5, 5 = best) and the named customer segments.

Scores are rank-based: a customer's score is 1 + floor(5 · k / n), where k is the number of
customers strictly worse on that measure. Tied customers therefore always share a score (the
lowest one their tie group reaches: every one-time buyer gets F = 1), and no quantile edges
are needed, so heavily tied data (most customers with one purchase) cannot break the bins.

- R: days since the last purchase, fewer is better (R 5 = most recent).
- F: number of distinct purchase days.
- M: total spend.

Segments follow the widely used R × FM grid (F and M combined as FM = floor((F + M) / 2), so a
customer moves up a column only when frequency and spend agree), with the grid's bottom-left
"Hibernating" cell split so that the least recent row becomes "Lost":

    R \\ FM | 1               2                   3                   4                5
    -------+---------------------------------------------------------------------------------------
      5    | New             Potential Loyalist  Potential Loyalist  Champions        Champions
      4    | Promising       Potential Loyalist  Potential Loyalist  Loyal            Loyal
      3    | About to Sleep  About to Sleep      Need Attention      Loyal            Loyal
      2    | Hibernating     Hibernating         At Risk             At Risk          Can't Lose Them
      1    | Lost            Lost                At Risk             At Risk          Can't Lose Them
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from bot.analytics._arrays import IntArray, StrArray, as_float_1d, same_length
from bot.analytics.errors import InvalidInput

CHAMPIONS = "Champions"
LOYAL = "Loyal"
POTENTIAL_LOYALIST = "Potential Loyalist"
NEW = "New"
PROMISING = "Promising"
NEED_ATTENTION = "Need Attention"
ABOUT_TO_SLEEP = "About to Sleep"
AT_RISK = "At Risk"
CANT_LOSE_THEM = "Can't Lose Them"
HIBERNATING = "Hibernating"
LOST = "Lost"

#: Every segment, best first (the order reports list them in).
SEGMENTS: tuple[str, ...] = (
    CHAMPIONS,
    LOYAL,
    POTENTIAL_LOYALIST,
    NEW,
    PROMISING,
    NEED_ATTENTION,
    ABOUT_TO_SLEEP,
    AT_RISK,
    CANT_LOSE_THEM,
    HIBERNATING,
    LOST,
)

# Row r-1 is R score r, column fm-1 is FM score fm: the table of the module docstring.
_GRID = np.array(
    [
        [LOST, LOST, AT_RISK, AT_RISK, CANT_LOSE_THEM],
        [HIBERNATING, HIBERNATING, AT_RISK, AT_RISK, CANT_LOSE_THEM],
        [ABOUT_TO_SLEEP, ABOUT_TO_SLEEP, NEED_ATTENTION, LOYAL, LOYAL],
        [PROMISING, POTENTIAL_LOYALIST, POTENTIAL_LOYALIST, LOYAL, LOYAL],
        [NEW, POTENTIAL_LOYALIST, POTENTIAL_LOYALIST, CHAMPIONS, CHAMPIONS],
    ]
)


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class RfmScores:
    """Per-customer R, F, M scores (1-5) and segment name."""

    r: IntArray
    f: IntArray
    m: IntArray
    segment: StrArray

    def counts(self) -> dict[str, int]:
        """Customers per segment, every segment present (0 when empty), in SEGMENTS order."""
        return {name: int(np.count_nonzero(self.segment == name)) for name in SEGMENTS}


def quintile_scores(values: ArrayLike, *, higher_is_better: bool = True) -> IntArray:
    """Scores 1-5 by rank: 1 + floor(5 · (customers strictly worse) / n); ties share a score."""
    v = as_float_1d(values, "values")
    if not higher_is_better:
        v = -v
    n = len(v)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    worse = np.searchsorted(np.sort(v), v, side="left")  # how many values are strictly below
    scores: IntArray = 1 + (5 * worse) // n
    return scores


def segment_of(r: ArrayLike, f: ArrayLike, m: ArrayLike) -> StrArray:
    """Segment names for R, F, M scores via the R × FM grid of the module docstring."""
    r_i, f_i, m_i = (np.asarray(s, dtype=np.int64).reshape(-1) for s in (r, f, m))
    same_length(r=r_i, f=f_i, m=m_i)
    for name, s in (("r", r_i), ("f", f_i), ("m", m_i)):
        if np.any((s < 1) | (s > 5)):
            raise InvalidInput(f"{name} scores must be 1-5")
    fm = (f_i + m_i) // 2
    segments: StrArray = _GRID[r_i - 1, fm - 1]
    return segments


def rfm_scores(days_since_last: ArrayLike, purchase_days: ArrayLike, total_spend: ArrayLike) -> RfmScores:
    """R, F, M scores and segments from recency in days, distinct purchase days and total spend."""
    r = quintile_scores(days_since_last, higher_is_better=False)
    f = quintile_scores(purchase_days)
    m = quintile_scores(total_spend)
    same_length(days_since_last=r, purchase_days=f, total_spend=m)
    return RfmScores(r=r, f=f, m=m, segment=segment_of(r, f, m))
