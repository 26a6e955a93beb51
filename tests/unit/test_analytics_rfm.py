"""RFM quintile scores are rank-based and every score combination has exactly one named segment."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bot.analytics import SEGMENTS, InvalidInput, rfm_scores
from bot.analytics.rfm import quintile_scores, segment_of


def test_distinct_values_fill_five_equal_quintiles() -> None:
    scores = quintile_scores(np.arange(100.0))
    assert np.bincount(scores).tolist() == [0, 20, 20, 20, 20, 20]
    assert scores[0] == 1 and scores[-1] == 5


def test_tied_values_share_a_score() -> None:
    values = np.r_[np.zeros(60), np.arange(1.0, 41.0)]  # 60 % one-time buyers, as in CDNOW
    scores = quintile_scores(values)
    assert set(scores[:60]) == {1}
    assert np.all(np.diff(scores[60:]) >= 0) and scores[-1] == 5


def test_recent_customers_get_the_high_r_score() -> None:
    scores = rfm_scores(days_since_last=[1, 400, 30, 90, 200], purchase_days=[1] * 5, total_spend=[1.0] * 5)
    assert scores.r.tolist() == [5, 1, 4, 3, 2]


def test_every_score_combination_maps_to_a_listed_segment() -> None:
    r, f, m = (np.array(c) for c in zip(*itertools.product(range(1, 6), repeat=3), strict=True))
    segments = segment_of(r, f, m)
    assert set(segments) == set(SEGMENTS)


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "Champions"),
        (5, 1, 1, "New"),
        (4, 1, 1, "Promising"),
        (4, 5, 4, "Loyal"),
        (5, 2, 3, "Potential Loyalist"),
        (3, 3, 3, "Need Attention"),
        (3, 1, 2, "About to Sleep"),
        (2, 4, 3, "At Risk"),
        (1, 5, 5, "Can't Lose Them"),
        (2, 1, 1, "Hibernating"),
        (1, 1, 2, "Lost"),
    ],
)
def test_grid_cells_have_their_documented_names(r: int, f: int, m: int, segment: str) -> None:
    assert segment_of([r], [f], [m]).tolist() == [segment]


def test_segment_counts_list_every_segment_even_when_empty() -> None:
    scores = rfm_scores([1, 2, 3], [1, 2, 3], [5.0, 6.0, 7.0])
    counts = scores.counts()
    assert list(counts) == list(SEGMENTS) and sum(counts.values()) == 3


def test_scores_outside_one_to_five_are_invalid() -> None:
    with pytest.raises(InvalidInput):
        segment_of([0], [1], [1])
