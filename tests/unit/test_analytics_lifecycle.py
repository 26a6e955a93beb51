"""Lifecycle stages follow each customer's own purchase rhythm and P(alive)."""

from __future__ import annotations

import numpy as np
import pytest

from bot.analytics import InvalidInput, LifecycleThresholds, lifecycle_stages
from bot.analytics.lifecycle import reference_interval_days, stage_counts

NAN = float("nan")


def test_stages_of_constructed_customers() -> None:
    stages = lifecycle_stages(
        frequency=[5, 5, 5, 4, 0, 0, 0],
        days_since_last=[20, 70, 120, 5, 10, 70, 200],
        usual_interval_days=[21, 21, 21, 10, NAN, NAN, NAN],
        p_alive=[0.9, 0.8, 0.7, 0.05, 1.0, 1.0, 1.0],
    )
    assert stages.tolist() == [
        "active",  # on rhythm
        "at_risk",  # silent for 70 / 21 = 3.3 intervals
        "churned",  # silent for 120 / 21 = 5.7 intervals
        "churned",  # P(alive) 0.05
        "new",  # one purchase 10 days ago; reference interval is the median rhythm, 21
        "at_risk",  # one purchase, silent for 70 days
        "churned",
    ]


def test_low_p_alive_does_not_age_one_time_buyers() -> None:
    # BG/NBD gives one-time buyers P(alive) = 1; a low value there is ignored, not trusted.
    stages = lifecycle_stages([0, 2], [3, 3], [NAN, 10.0], [0.01, 0.4])
    assert stages.tolist() == ["new", "at_risk"]


def test_without_any_repeat_buyer_the_default_interval_is_the_reference() -> None:
    assert reference_interval_days([NAN, NAN], default=30.0) == 30.0
    stages = lifecycle_stages([0, 0], [60, 61], [NAN, NAN], [1.0, 1.0])
    assert stages.tolist() == ["new", "at_risk"]  # 61 days is more than 2 intervals of 30


def test_silent_for_more_than_twice_the_usual_interval_is_at_risk() -> None:
    # SPEC: "overdue by more than twice their usual interval" means days > 2 × usual.
    stages = lifecycle_stages([3, 3, 3, 3], [42, 43, 105, 106], [21.0] * 4, [0.9] * 4)
    assert stages.tolist() == ["active", "at_risk", "at_risk", "churned"]


def test_thresholds_are_parameters() -> None:
    strict = LifecycleThresholds(at_risk_overdue_factor=1.5, churned_overdue_factor=2.0)
    assert lifecycle_stages([3], [35], [20.0], [0.9], strict).tolist() == ["at_risk"]
    with pytest.raises(InvalidInput):
        LifecycleThresholds(at_risk_overdue_factor=3.0, churned_overdue_factor=2.0)


def test_stage_counts_list_every_stage() -> None:
    counts = stage_counts(np.array(["new", "new", "churned"]))
    assert counts == {"new": 2, "active": 0, "at_risk": 0, "churned": 1}
