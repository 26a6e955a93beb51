"""The daily digest (SPEC §6) as plain values, for Slack, the terminal or anything else to show.

First the conversations waiting for a reply (oldest first, those past their first-response target
marked, SPEC §8); then headline KPIs with their change since the previous digest, the customers who
newly entered at risk (ranked by value at risk, with their reasons), detractors and negative
feedback since the previous digest, tickets past their SLA, and 12 weeks of NPS and at-risk counts
for the chart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services import digest_queries as q
from bot.services.digest_queries import OverdueTicket, Said
from bot.services.digest_record import DigestRecord, previous_record
from bot.services.kpi_queries import nps_responses
from bot.services.kpis import Nps, compute_kpis, weeks
from bot.services.response_clock import WaitingConversation, waiting_for_reply
from bot.services.risk_list import AtRiskCustomer
from bot.services.scoring import ScoringFailed, score_all
from storage.models import RiskSnapshot
from storage.uow import UnitOfWork

KPI_DAYS = 30
"""The headline KPIs cover the last 30 local days, the digest's day included."""
CHART_WEEKS = 12
SHOWN = 10
"""Long lists are cut to what a person reads; the rest is a count and a "see all"."""
HEADLINE_KEYS = (
    "nps",
    "response_rate",
    "active_customers",
    "at_risk",
    "churn_rate",
    "points_liability",
    "saved_customers",
    "first_response_hours",
)
T = TypeVar("T")

Headline = dict[str, float | int | None]


@dataclass(frozen=True)
class Metric:
    key: str
    """One of HEADLINE_KEYS (the label's msgid is `slack.digest.kpi.<key>`)."""
    value: float | int | None
    previous: float | int | None

    @property
    def change(self) -> float | int | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class WeekCount:
    """One week of the chart: NPS of the answers given in it, and the at-risk count at its end."""

    week_end: date
    """The week's last day."""
    nps: float | None
    answers: int
    at_risk: int | None


@dataclass(frozen=True)
class Digest:
    day: date
    since: datetime
    until: datetime
    waiting: tuple[WaitingConversation, ...]
    """Conversations waiting for staff's first reply, oldest first (the digest's first section)."""
    metrics: tuple[Metric, ...]
    compared_with_digest: bool
    """The changes are since the previous digest (else since the day before, computed)."""
    scored_on: date | None
    scoring_error: str | None
    new_at_risk: tuple[AtRiskCustomer, ...]
    detractors: tuple[Said, ...]
    negative_feedback: tuple[Said, ...]
    kind_words: tuple[Said, ...]
    """Praise customers wrote since the last digest (SPEC §8)."""
    overdue_tickets: tuple[OverdueTicket, ...]
    sla_hours: float
    weeks: tuple[WeekCount, ...]

    @property
    def headline(self) -> Headline:
        return {m.key: m.value for m in self.metrics}

    def metric(self, key: str) -> Metric:
        return next(m for m in self.metrics if m.key == key)

    def summary(self) -> str:
        """One line for the job log."""
        return (
            f"digest {self.day.isoformat()}: {len(self.waiting)} waiting for a reply "
            f"({sum(1 for w in self.waiting if w.overdue)} past target), "
            f"{len(self.new_at_risk)} new at risk, "
            f"{len(self.detractors)} detractors, {len(self.negative_feedback)} negative feedback, "
            f"{len(self.kind_words)} kind words, "
            f"{len(self.overdue_tickets)} tickets past SLA"
        )

    def record(self, channel: str | None, ts: str | None, chart: str | None = None) -> DigestRecord:
        return DigestRecord(channel=channel, ts=ts, until=self.until, headline=self.headline, chart=chart)

    @property
    def chart_fingerprint(self) -> str:
        """Equal for digests whose charts would show the same numbers."""
        data = [(w.week_end.isoformat(), w.nps, w.answers, w.at_risk) for w in self.weeks]
        return hashlib.sha256(repr(data).encode()).hexdigest()[:16]


def first(items: Sequence[T], limit: int = SHOWN) -> tuple[list[T], int]:
    """The first `limit` items and how many are left out."""
    return list(items[:limit]), max(0, len(items) - limit)


def build_digest(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    day: date,
    *,
    score: bool = True,
) -> Digest:
    """The digest of local `day`; scores that day first if it has no snapshot yet (and `score`)."""
    now = clock.now()
    until = min(now, q.day_start(day + timedelta(days=1), tz))
    scoring_error = None
    if score and _needs_scoring(uow, day):
        try:
            score_all(uow, clock, rules, tz, as_of=day)
        except ScoringFailed as exc:
            scoring_error = str(exc)
    previous = previous_record(uow, day)
    since = (
        previous.until
        if previous and previous.until and previous.until < until
        else until - timedelta(days=1)
    )
    with uow:
        scored_on = q.snapshot_day_on_or_before(uow, day)
        current = _headline(uow, clock, rules, tz, day, scored_on, now)
        if previous is not None and previous.headline:
            before: Headline = previous.headline
        else:
            before = _headline(
                uow, clock, rules, tz, day - timedelta(days=1), _day_before(uow, scored_on), now
            )
        entered = q.entered_at_risk(uow, day, now, tz) if scored_on == day else []
        return Digest(
            day=day,
            since=since,
            until=until,
            waiting=tuple(waiting_for_reply(uow, rules, tz, until)),
            metrics=tuple(Metric(k, current.get(k), before.get(k)) for k in HEADLINE_KEYS),
            compared_with_digest=previous is not None and bool(previous.headline),
            scored_on=scored_on,
            scoring_error=scoring_error,
            new_at_risk=tuple(entered),
            detractors=tuple(q.detractors_between(uow, since, until)),
            negative_feedback=tuple(q.negative_feedback_between(uow, since, until)),
            kind_words=tuple(q.kind_words_between(uow, since, until)),
            overdue_tickets=tuple(q.tickets_past_sla(uow, until, float(rules.risk.ticket_sla_hours))),
            sla_hours=float(rules.risk.ticket_sla_hours),
            weeks=tuple(_weeks(uow, tz, day, now)),
        )


def _needs_scoring(uow: UnitOfWork, day: date) -> bool:
    with uow:
        found = uow.session.exec(select(RiskSnapshot.id).where(RiskSnapshot.as_of == day).limit(1)).first()
        return found is None


def _day_before(uow: UnitOfWork, scored_on: date | None) -> date | None:
    if scored_on is None:
        return None
    return q.snapshot_day_on_or_before(uow, scored_on - timedelta(days=1))


def _headline(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    day: date,
    snapshot_day: date | None,
    now: datetime,
) -> Headline:
    end = day + timedelta(days=1)
    start = end - timedelta(days=KPI_DAYS)
    kpis = compute_kpis(uow, clock, tz, start, end, trend=False, hours=rules.business_hours).period
    first_response = kpis.first_response.median_hours
    return {
        "nps": None if kpis.nps.score is None else round(kpis.nps.score, 1),
        "response_rate": None if kpis.response_rate is None else round(kpis.response_rate, 4),
        "active_customers": kpis.active_customers,
        "at_risk": q.at_risk_count(uow, snapshot_day, now) if snapshot_day else None,
        "churn_rate": None if kpis.churn_rate is None else round(kpis.churn_rate, 4),
        "points_liability": kpis.points_liability,
        "saved_customers": kpis.saved_customers,
        "first_response_hours": None if first_response is None else round(first_response, 2),
    }


def _weeks(uow: UnitOfWork, tz: ZoneInfo, day: date, now: datetime) -> list[WeekCount]:
    end = day + timedelta(days=1)
    out = []
    for start, stop in weeks(end - timedelta(weeks=CHART_WEEKS), end):
        answers = nps_responses(uow, q.day_start(start, tz), q.day_start(stop, tz))
        nps = Nps.of([a.score for a in answers])
        snapshot: date | None = uow.session.exec(
            select(func.max(RiskSnapshot.as_of)).where(
                col(RiskSnapshot.as_of) >= start, col(RiskSnapshot.as_of) < stop
            )
        ).one()
        at_risk = q.at_risk_count(uow, snapshot, now) if snapshot else None
        out.append(WeekCount(stop - timedelta(days=1), nps.score, nps.responses, at_risk))
    return out
