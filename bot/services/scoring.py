"""Scoring every customer: purchases → BG/NBD, Gamma-Gamma, CLV, RFM, stage, at-risk → one snapshot a day.

A run reads in one short transaction, computes outside any transaction (SQLite writers are not
held up by the model fit), and replaces the day's snapshots in a second one. "Entered at risk"
compares with the latest snapshot day before the run's, so re-running a day gives the same
list; a customer whose snooze ended since that day enters again if still at risk.
"""

from __future__ import annotations

import time as timer
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np

from bot.analytics import (
    AnalyticsError,
    AtRiskThresholds,
    BgNbdParams,
    GammaGammaParams,
    LifecycleThresholds,
    ScoreResult,
    score_customers,
)
from bot.clock import Clock
from bot.config.rules import BusinessRules, RiskRules
from bot.services.errors import DomainError
from bot.services.risk_list import AtRiskCustomer, rank
from bot.services.scoring_inputs import (
    customer_labels,
    inactive_customers,
    load_latest_nps,
    load_open_tickets,
    load_previous_snapshot,
    load_purchases,
    load_snoozes,
)
from bot.services.snapshot_retention import thin_snapshots
from bot.services.snapshots import replace_snapshots, snapshot_rows, stored_reasons
from storage.uow import UnitOfWork


class ScoringFailed(DomainError):
    """The data cannot be scored (too few customers or repeat buyers, a date in the future, …)."""


@dataclass(frozen=True)
class ScoringParams:
    """Model settings of a run: the expected-purchases horizon matches the snapshot's 90-day column."""

    horizon_days: float = 90.0
    clv_months: int = 12
    monthly_discount_rate: float = 0.01


@dataclass(frozen=True, eq=False)
class ScoringRun:
    """What a run did: fitted models, counts, the customers who entered at risk, and the arrays."""

    as_of: date
    previous_as_of: date | None
    params: ScoringParams
    thresholds: AtRiskThresholds
    result: ScoreResult = field(repr=False)
    at_risk: int  # the at-risk list's length: flagged, not snoozed, not merged or erased
    snoozed: int  # flagged but snoozed
    entered: tuple[AtRiskCustomer, ...]  # newly at risk, highest value at risk first
    snapshots_written: int
    snapshots_thinned: int  # rows of old days removed by the retention rules (snapshot_retention.py)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: read, score, write, total

    @property
    def customers(self) -> int:
        """Customers scored (those with a purchase on or before as_of)."""
        return self.result.n_customers

    @property
    def bgnbd(self) -> BgNbdParams:
        return self.result.bgnbd

    @property
    def gamma_gamma(self) -> GammaGammaParams:
        return self.result.gamma_gamma

    def summary(self) -> dict[str, Any]:
        """The machine-readable summary of SPEC §1 (`score --json`); model parameters in weeks."""
        bg, gg = self.bgnbd, self.gamma_gamma
        return {
            "as_of": self.as_of.isoformat(),
            "customers": self.customers,
            "time_unit": "week",
            "bgnbd": {
                "r": bg.r,
                "alpha": bg.alpha,
                "a": bg.a,
                "b": bg.b,
                "log_likelihood": bg.log_likelihood,
            },
            "gamma_gamma": {"p": gg.p, "q": gg.q, "v": gg.v},
            "segments": dict(self.result.segment_counts),
            "stages": dict(self.result.stage_counts),
            "at_risk": self.at_risk,
        }


def thresholds_from_rules(risk: RiskRules) -> tuple[AtRiskThresholds, LifecycleThresholds]:
    """The config's risk section as the analytics thresholds (one overdue factor for both)."""
    at_risk = AtRiskThresholds(
        p_alive=risk.p_alive_threshold,
        overdue_factor=risk.overdue_factor,
        nps_max_score=risk.nps_threshold,
        ticket_sla_hours=float(risk.ticket_sla_hours),
    )
    lifecycle = LifecycleThresholds(
        at_risk_overdue_factor=risk.overdue_factor,
        churned_overdue_factor=max(LifecycleThresholds.churned_overdue_factor, risk.overdue_factor),
        at_risk_p_alive=risk.p_alive_threshold,
        churned_p_alive=min(LifecycleThresholds.churned_p_alive, risk.p_alive_threshold),
    )
    return at_risk, lifecycle


ScoringStage = Literal["read", "fit", "write"]
"""The steps of a run, in order, as `score_all` reports them to a progress display."""


def score_all(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    *,
    as_of: date | None = None,
    params: ScoringParams | None = None,
    progress: Callable[[ScoringStage], None] | None = None,
) -> ScoringRun:
    """Score every customer on purchases up to `as_of` (default: today in `tz`); store the day's snapshots.

    `progress` is told each stage as it begins (the CLI shows it; a large shop takes a while)."""
    params = params or ScoringParams()
    report: Callable[[ScoringStage], None] = progress or (lambda _: None)
    now = clock.now()
    today = now.astimezone(tz).date()
    as_of = as_of or today
    if as_of > today:
        raise ScoringFailed(f"cannot score as of {as_of.isoformat()}: it is in the future (today is {today})")
    # NPS answers and tickets count as they stood at the end of the as-of day (or now, if today).
    day_end = datetime.combine(as_of + timedelta(days=1), time(), tz).astimezone(UTC) - timedelta(
        microseconds=1
    )
    at = min(now, day_end)
    at_risk_th, lifecycle_th = thresholds_from_rules(rules.risk)

    started = timer.perf_counter()
    report("read")
    with uow.reading():  # on SQLite no write lock while every purchase is read (seconds at 10 M)
        transactions = load_purchases(uow, as_of)
        previous = load_previous_snapshot(uow, as_of)
        nps = load_latest_nps(uow, at, tz)
        tickets = load_open_tickets(uow, at)
        previous_end = (
            None
            if previous.as_of is None
            else datetime.combine(previous.as_of + timedelta(days=1), time(), tz).astimezone(UTC)
        )
        snoozes = load_snoozes(uow, now, previous_end)
        inactive = inactive_customers(uow)
    read = timer.perf_counter()

    report("fit")
    try:
        result = score_customers(
            transactions,
            as_of,
            params.horizon_days,
            clv_months=params.clv_months,
            monthly_discount_rate=params.monthly_discount_rate,
            lifecycle_thresholds=lifecycle_th,
            at_risk_thresholds=at_risk_th,
            previous_p_alive=previous.p_alive,
            nps=nps,
            open_tickets=tickets,
        )
    except AnalyticsError as exc:
        raise ScoringFailed(f"cannot score as of {as_of.isoformat()}: {exc}") from exc

    scored = timer.perf_counter()
    report("write")
    reasons = stored_reasons(result)
    written = replace_snapshots(uow, as_of, snapshot_rows(result, as_of, reasons))
    thinned = thin_snapshots(uow, rules.snapshots)
    stored = timer.perf_counter()

    keys = result.customer
    flagged = [int(keys[i]) for i in np.flatnonzero(result.at_risk.flagged)]
    listed = [k for k in flagged if k not in snoozes.active and k not in inactive]
    entered_keys = [k for k in listed if k not in previous.at_risk or k in snoozes.ended_since_previous]
    with uow:
        entered = _entered_rows(uow, result, as_of, entered_keys, reasons)
    return ScoringRun(
        as_of=as_of,
        previous_as_of=previous.as_of,
        params=params,
        thresholds=at_risk_th,
        result=result,
        at_risk=len(listed),
        snoozed=sum(1 for k in flagged if k in snoozes.active),
        entered=tuple(entered),
        snapshots_written=written,
        snapshots_thinned=thinned,
        timings={
            "read": read - started,
            "score": scored - read,
            "write": stored - scored,
            "total": timer.perf_counter() - started,
        },
    )


def _entered_rows(
    uow: UnitOfWork, result: ScoreResult, as_of: date, keys: list[int], reasons: list[str]
) -> list[AtRiskCustomer]:
    labels = customer_labels(uow, keys)
    index = np.searchsorted(result.customer, np.asarray(keys, dtype=np.int64))
    columns = zip(
        keys,
        result.at_risk.value_at_risk[index].tolist(),
        result.clv[index].tolist(),
        result.p_alive[index].tolist(),
        result.stage[index].tolist(),
        result.rfm.segment[index].tolist(),
        index.tolist(),
        strict=True,
    )
    rows = [
        AtRiskCustomer(key, *labels.get(key, (str(key), None)), as_of, var, clv, p, stage, seg, reasons[i])
        for key, var, clv, p, stage, seg, i in columns
    ]
    return rank(rows)
