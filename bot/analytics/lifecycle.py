"""Lifecycle stage (new, active, at_risk, churned) from purchase rhythm and P(alive).

A customer's "usual interval" is their mean number of days between distinct purchase days;
one-time buyers have none, so they are measured against a reference interval: the median
usual interval of the repeat buyers (or `default_interval_days` when there are none).
Silence is days since the last purchase in usual intervals. In order of precedence:

- churned: silent for more than `churned_overdue_factor` usual intervals (default 5), or a
  repeat buyer with P(alive) < `churned_p_alive` (default 0.1);
- at_risk: silent for more than `at_risk_overdue_factor` usual intervals (default 2: "overdue
  by more than twice their usual interval", the SPEC's at-risk rule, see `at_risk`), or a
  repeat buyer with P(alive) < `at_risk_p_alive` (default 0.5, also the SPEC's);
- new: no repeat purchase yet;
- active: everyone else.

P(alive) only counts for repeat buyers: BG/NBD gives every one-time buyer P(alive) = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from bot.analytics._arrays import FloatArray, StrArray, as_float_1d, as_float_1d_nan, same_length
from bot.analytics.errors import InvalidInput

NEW = "new"
ACTIVE = "active"
AT_RISK = "at_risk"
CHURNED = "churned"
STAGES: tuple[str, ...] = (NEW, ACTIVE, AT_RISK, CHURNED)


@dataclass(frozen=True)
class LifecycleThresholds:
    """Where the stages change; see the module docstring for the rules."""

    at_risk_overdue_factor: float = 2.0
    churned_overdue_factor: float = 5.0
    at_risk_p_alive: float = 0.5
    churned_p_alive: float = 0.1
    default_interval_days: float = 30.0

    def __post_init__(self) -> None:
        if not 0 < self.at_risk_overdue_factor <= self.churned_overdue_factor:
            raise InvalidInput("need 0 < at_risk_overdue_factor <= churned_overdue_factor")
        if not 0 <= self.churned_p_alive <= self.at_risk_p_alive <= 1:
            raise InvalidInput("need 0 <= churned_p_alive <= at_risk_p_alive <= 1")
        if self.default_interval_days <= 0:
            raise InvalidInput("default_interval_days must be > 0")


def reference_interval_days(usual_interval_days: ArrayLike, default: float) -> float:
    """The median usual interval of customers who have one, or `default` if nobody has."""
    usual = as_float_1d_nan(usual_interval_days, "usual_interval_days")
    known = usual[np.isfinite(usual) & (usual > 0)]
    return float(np.median(known)) if len(known) else default


def lifecycle_stages(
    frequency: ArrayLike,
    days_since_last: ArrayLike,
    usual_interval_days: ArrayLike,
    p_alive: ArrayLike,
    thresholds: LifecycleThresholds | None = None,
) -> StrArray:
    """The stage of each customer; `usual_interval_days` is NaN for one-time buyers."""
    th = thresholds or LifecycleThresholds()
    x = as_float_1d(frequency, "frequency")
    days = as_float_1d(days_since_last, "days_since_last")
    usual = as_float_1d_nan(usual_interval_days, "usual_interval_days")
    alive = as_float_1d(p_alive, "p_alive")
    same_length(frequency=x, days_since_last=days, usual_interval_days=usual, p_alive=alive)

    reference = reference_interval_days(usual, th.default_interval_days)
    interval: FloatArray = np.where(np.isfinite(usual) & (usual > 0), usual, reference)
    silent_for = days / interval  # in usual intervals
    repeat = x > 0

    stage = np.full(len(x), ACTIVE, dtype="<U8")
    stage[~repeat] = NEW
    # Assign the milder stage first so the more severe one overwrites it.
    stage[(silent_for > th.at_risk_overdue_factor) | (repeat & (alive < th.at_risk_p_alive))] = AT_RISK
    stage[(silent_for > th.churned_overdue_factor) | (repeat & (alive < th.churned_p_alive))] = CHURNED
    return stage


def stage_counts(stages: StrArray) -> dict[str, int]:
    """Customers per stage, every stage present, in STAGES order."""
    return {name: int(np.count_nonzero(stages == name)) for name in STAGES}
