"""Explainable at-risk rules: who is slipping away, why, and how much value is at stake.

Each rule that fires adds a `Reason` carrying the numbers needed to phrase it (wording and
translation live in the message catalogues; `Reason.as_english` is only a plain fallback).
Thresholds are `AtRiskThresholds`; the defaults are the SPEC's:

| code           | fires when                                                   | facts              |
|----------------|--------------------------------------------------------------|--------------------|
| `p_alive_drop` | repeat buyer with P(alive) < 0.5 now but not in the previous | p_from, p_to       |
|                | snapshot (or, with `min_p_alive_drop` set, fell by that)     |                    |
| `low_p_alive`  | repeat buyer with P(alive) < 0.5 (when the above does not)   | p_to, threshold    |
| `overdue`      | repeat buyer overdue by more than twice the usual interval:  | days, usual_days   |
|                | days since the last purchase > 2 × usual interval            |                    |
| `low_nps`      | latest NPS answer scored <= 6                                | score, on, comment |
| `ticket_open`  | a ticket open longer than its 48 h SLA (one per ticket)      | ticket_id, hours   |

Each reason has a severity in [0, 1] that orders a customer's reasons: 1 - P(alive) for the
P(alive) rules; for the others 0.5 at the threshold rising to 1 at twice it (overdue:
days / (2 · factor · usual); tickets: hours / (2 · SLA)); (10 - score) / 10 for NPS.

The risk score ranks everybody, flagged or not. Its purchase part is 1 - P(alive) for repeat
buyers; BG/NBD gives one-time buyers P(alive) = 1, so theirs is the overdue severity measured
against the reference interval (the median usual interval, as in `lifecycle`). The overdue rule
adds no further factor: P(alive) already reads the purchase rhythm, and adding it lowered the
holdout AUC on CDNOW (docs/benchmarks.md). NPS and ticket reasons, which the purchase model
cannot see, combine with it as 1 - Π(1 - severity). Value at risk = CLV × risk score for
flagged customers (0 for the others): with only the P(alive) rule it is exactly
CLV × (1 - P(alive)).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from bot.analytics._arrays import BoolArray, FloatArray, IntArray, as_float_1d, as_float_1d_nan, same_length
from bot.analytics.errors import InvalidInput
from bot.analytics.reasons import NpsAnswer, OpenTicket, Reason, ReasonCode

__all__ = [
    "AtRiskResult",
    "AtRiskThresholds",
    "NpsAnswer",
    "OpenTicket",
    "Reason",
    "ReasonCode",
    "assess_at_risk",
]


@dataclass(frozen=True)
class AtRiskThresholds:
    """When each rule fires (defaults: SPEC "Defaults")."""

    p_alive: float = 0.5  # repeat buyers below this are at risk
    min_p_alive_drop: float | None = None  # also flag a fall of at least this much; None: off
    overdue_factor: float = 2.0  # flag when silent for more than this many usual intervals
    nps_max_score: int = 6  # detractors: 0-6
    ticket_sla_hours: float = 48.0

    def __post_init__(self) -> None:
        if not 0 <= self.p_alive <= 1:
            raise InvalidInput("p_alive threshold must be in [0, 1]")
        if self.min_p_alive_drop is not None and not 0 < self.min_p_alive_drop <= 1:
            raise InvalidInput("min_p_alive_drop must be in (0, 1]")
        if self.overdue_factor <= 0 or self.ticket_sla_hours <= 0:
            raise InvalidInput("overdue_factor and ticket_sla_hours must be > 0")


@dataclass(frozen=True, eq=False)  # holds arrays: compare fields explicitly
class AtRiskResult:
    """Per customer: flag, reasons (most severe first), risk score in [0, 1] and value at risk."""

    flagged: BoolArray
    risk_score: FloatArray
    value_at_risk: FloatArray
    reasons: tuple[tuple[Reason, ...], ...]

    @property
    def n_flagged(self) -> int:
        """How many customers are at risk."""
        return int(np.count_nonzero(self.flagged))

    def ranking(self) -> IntArray:
        """Indices of flagged customers, highest value at risk first (then highest risk score)."""
        idx = np.flatnonzero(self.flagged)
        order = np.lexsort((-self.risk_score[idx], -self.value_at_risk[idx]))
        ranked: IntArray = idx[order].astype(np.int64)
        return ranked


def assess_at_risk(
    p_alive: ArrayLike,
    frequency: ArrayLike,
    days_since_last: ArrayLike,
    usual_interval_days: ArrayLike,
    clv: ArrayLike,
    *,
    previous_p_alive: ArrayLike | Sequence[float | None] | None = None,
    nps: Sequence[NpsAnswer | None] | None = None,
    open_tickets: Sequence[Sequence[OpenTicket]] | None = None,
    thresholds: AtRiskThresholds | None = None,
    reference_interval_days: float | None = None,
) -> AtRiskResult:
    """Apply the at-risk rules to aligned per-customer inputs (NaN/None = unknown).

    `reference_interval_days` measures one-time buyers' silence for the risk score (never a
    flag); default: the median usual interval of the repeat buyers, or 30 days.
    """
    th = thresholds or AtRiskThresholds()
    p = as_float_1d(p_alive, "p_alive")
    n = len(p)
    prev = as_float_1d_nan(
        np.full(n, np.nan) if previous_p_alive is None else previous_p_alive, "previous_p_alive"
    )
    x = as_float_1d(frequency, "frequency")
    days = as_float_1d(days_since_last, "days_since_last")
    usual = as_float_1d_nan(usual_interval_days, "usual_interval_days")
    value = as_float_1d(clv, "clv")
    same_length(p_alive=p, previous_p_alive=prev, frequency=x, days_since_last=days, usual=usual, clv=value)
    nps_list = list(nps) if nps is not None else [None] * n
    tickets_list = list(open_tickets) if open_tickets is not None else [()] * n
    if len(nps_list) != n or len(tickets_list) != n:
        raise InvalidInput("nps and open_tickets must have one entry per customer")
    if np.any((p < 0) | (p > 1)):
        raise InvalidInput("p_alive must be in [0, 1]")
    if reference_interval_days is not None and not reference_interval_days > 0:
        raise InvalidInput("reference_interval_days must be > 0")

    found = _Found(n)
    repeat = x > 0
    _p_alive_reasons(found, p, prev, repeat, th)
    _overdue_reasons(found, days, usual, repeat, th)
    # The purchase part of the score (see the module docstring); NPS and tickets multiply in below.
    if reference_interval_days is None:
        known = usual[repeat & np.isfinite(usual) & (usual > 0)]
        reference_interval_days = float(np.median(known)) if len(known) else 30.0
    silence = np.minimum(1.0, days / (2.0 * th.overdue_factor * reference_interval_days))
    found.survive *= np.where(repeat, p, 1.0 - silence)
    _nps_reasons(found, nps_list, th)
    _ticket_reasons(found, tickets_list, th)

    risk = np.clip(1.0 - found.survive, 0.0, 1.0)
    flagged = np.zeros(n, dtype=np.bool_)
    flagged[list(found.by_customer)] = True
    none: tuple[Reason, ...] = ()
    by_customer = {i: tuple(sorted(rs, key=lambda r: -r.severity)) for i, rs in found.by_customer.items()}
    return AtRiskResult(
        flagged=flagged,
        risk_score=risk,
        value_at_risk=np.where(flagged, np.maximum(value, 0.0) * risk, 0.0),
        reasons=tuple(by_customer.get(i, none) for i in range(n)),
    )


class _Found:
    """Reasons found so far, per customer index, and the running noisy-or of the score's factors."""

    def __init__(self, n: int) -> None:
        self.by_customer: dict[int, list[Reason]] = {}
        # Product of (1 - severity) over the factors that count: 1 - survive is the risk score.
        self.survive = np.ones(n, dtype=np.float64)

    def add(self, i: int, reason: Reason, *, scored: bool = True) -> None:
        self.add_many(np.array([i]), [reason], scored=scored)

    def add_many(self, idx: IntArray, reasons: Sequence[Reason], *, scored: bool = False) -> None:
        """One reason each for the distinct customers `idx`; `scored` multiplies it into the score."""
        if scored:
            self.survive[idx] *= 1.0 - np.array([r.severity for r in reasons], dtype=np.float64)
        for i, reason in zip(idx.tolist(), reasons, strict=True):
            self.by_customer.setdefault(i, []).append(reason)


def _p_alive_reasons(
    found: _Found, p: FloatArray, prev: FloatArray, repeat: BoolArray, th: AtRiskThresholds
) -> None:
    """Low or falling P(alive), for repeat buyers only (one-time buyers always have P(alive) = 1)."""
    low = repeat & (p < th.p_alive)
    known_prev = np.isfinite(prev)
    crossed = low & known_prev & (prev >= th.p_alive)
    dropped = np.zeros_like(low)
    if th.min_p_alive_drop is not None:
        dropped = repeat & known_prev & (prev - p >= th.min_p_alive_drop)
    fell = np.flatnonzero(crossed | dropped)
    found.add_many(
        fell,
        [
            Reason(ReasonCode.P_ALIVE_DROP, 1.0 - now, p_from=before, p_to=now)
            for before, now in zip(prev[fell].tolist(), p[fell].tolist(), strict=True)
        ],
    )
    still_low = np.flatnonzero(low & ~(crossed | dropped))
    found.add_many(
        still_low,
        [
            Reason(ReasonCode.LOW_P_ALIVE, 1.0 - now, p_to=now, threshold=th.p_alive)
            for now in p[still_low].tolist()
        ],
    )


def _overdue_reasons(
    found: _Found, days: FloatArray, usual: FloatArray, repeat: BoolArray, th: AtRiskThresholds
) -> None:
    """Silent for more than `overdue_factor` times the customer's own rhythm."""
    has_rhythm = repeat & np.isfinite(usual) & (usual > 0)
    safe_usual = np.where(has_rhythm, usual, 1.0)
    overdue = np.flatnonzero(has_rhythm & (days > th.overdue_factor * safe_usual))
    severity = np.minimum(1.0, days / (2.0 * th.overdue_factor * safe_usual))
    found.add_many(
        overdue,
        [
            Reason(ReasonCode.OVERDUE, sev, days=d, usual_days=u)
            for sev, d, u in zip(
                severity[overdue].tolist(), days[overdue].tolist(), usual[overdue].tolist(), strict=True
            )
        ],
    )


def _nps_reasons(found: _Found, answers: Sequence[NpsAnswer | None], th: AtRiskThresholds) -> None:
    """Detractors: the latest answer scored at or below the threshold."""
    for i, answer in enumerate(answers):
        if answer is not None and answer.score <= th.nps_max_score:
            severity = min(1.0, max(0.0, (10 - answer.score) / 10))
            reason = Reason(
                ReasonCode.LOW_NPS,
                severity,
                score=answer.score,
                on=answer.answered_on,
                comment=answer.comment,
            )
            found.add(i, reason)


def _ticket_reasons(found: _Found, tickets: Sequence[Sequence[OpenTicket]], th: AtRiskThresholds) -> None:
    """One reason per ticket open longer than its SLA."""
    for i, open_ones in enumerate(tickets):
        for ticket in open_ones:
            if ticket.age_hours > th.ticket_sla_hours:
                severity = min(1.0, ticket.age_hours / (2 * th.ticket_sla_hours))
                found.add(
                    i,
                    Reason(
                        ReasonCode.TICKET_OPEN, severity, ticket_id=ticket.ticket_id, hours=ticket.age_hours
                    ),
                )
