"""Retention KPIs over a period [start, end) of local days, and the same KPIs week by week as a trend.

Definitions (docs/analytics.md): NPS with its answers, survey response rate, CSAT, active
customers, repurchase rate, churn rate (from the lifecycle stages of the risk snapshots),
points liability, CLV by RFM segment, saved customers, and the median first response to a
conversation (in business hours, as its target is).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config.rules import BusinessHoursRules
from bot.services import kpi_queries as q
from bot.services.errors import InvalidInput
from bot.services.kpi_queries import NpsResponse, SegmentValue
from bot.services.response_clock import FirstResponseTimes, first_response_times
from storage.uow import UnitOfWork

NO_FIRST_RESPONSES = FirstResponseTimes(None, 0)
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


@dataclass(frozen=True)
class Nps:
    """Promoters (9-10), passives (7-8), detractors (0-6), and the score in -100..100."""

    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters - % detractors; None without answers."""
        if not self.responses:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.responses

    @classmethod
    def of(cls, scores: list[int]) -> Nps:
        return cls(
            promoters=sum(1 for s in scores if s >= PROMOTER_MIN),
            passives=sum(1 for s in scores if DETRACTOR_MAX < s < PROMOTER_MIN),
            detractors=sum(1 for s in scores if s <= DETRACTOR_MAX),
        )


@dataclass(frozen=True)
class Kpis:
    """Every KPI for one period [start, end) of local days; None where there is nothing to measure."""

    start: date
    end: date
    nps: Nps
    surveys_sent: int
    surveys_answered: int
    csat_average: float | None
    csat_responses: int
    active_customers: int
    returning_customers: int
    churn_base: int
    churned: int
    points_spendable: int
    points_pending: int
    clv_snapshot: date | None
    clv_by_segment: dict[str, SegmentValue]
    saved_customers: int
    first_response: FirstResponseTimes = NO_FIRST_RESPONSES
    """Median business time to staff's first reply, over the conversations opened in the period."""

    @property
    def response_rate(self) -> float | None:
        """Answered / sent NPS surveys (sent in the period)."""
        return self.surveys_answered / self.surveys_sent if self.surveys_sent else None

    @property
    def repurchase_rate(self) -> float | None:
        """Share of the period's buyers who had bought before it."""
        return self.returning_customers / self.active_customers if self.active_customers else None

    @property
    def churn_rate(self) -> float | None:
        """Share of customers not churned at the start who are churned at the end."""
        return self.churned / self.churn_base if self.churn_base else None

    @property
    def points_liability(self) -> int:
        """Points customers still hold (spendable + pending) at the end of the period."""
        return self.points_spendable + self.points_pending


@dataclass(frozen=True)
class KpiReport:
    """The period's KPIs, the answers behind its NPS, and one Kpis per week (oldest first)."""

    period: Kpis
    nps_answers: tuple[NpsResponse, ...]
    trend: tuple[Kpis, ...]


def weeks(start: date, end: date) -> list[tuple[date, date]]:
    """7-day windows ending at `end`, back to `start` (the oldest one may be shorter), oldest first."""
    out = []
    stop = end
    while stop > start:
        out.append((max(start, stop - timedelta(days=7)), stop))
        stop -= timedelta(days=7)
    return out[::-1]


def compute_kpis(
    uow: UnitOfWork,
    clock: Clock,
    tz: ZoneInfo,
    start: date,
    end: date,
    *,
    trend: bool = True,
    hours: BusinessHoursRules | None = None,
) -> KpiReport:
    """The KPIs of [start, end) (local days in `tz`) and, with `trend`, of each week in it. `hours`:
    the shop's business hours, which first-response times are counted in (default Mon–Sat 9–18)."""
    hours = hours or BusinessHoursRules()
    if end <= start:
        raise InvalidInput(f"the period must end after it starts ({start} – {end})")
    now = clock.now()
    periods = [(start, end), *(weeks(start, end) if trend else [])]
    with uow:
        points = q.points_outstanding(uow, [min(now, _moment(e, tz)) for _, e in periods])
        (period, answers), *weekly = [
            _period(uow, tz, hours, first, last, spendable, pending)
            for (first, last), (spendable, pending) in zip(periods, points, strict=True)
        ]
        return KpiReport(period=period, nps_answers=tuple(answers), trend=tuple(k for k, _ in weekly))


def _period(
    uow: UnitOfWork,
    tz: ZoneInfo,
    hours: BusinessHoursRules,
    start: date,
    end: date,
    spendable: int,
    pending: int,
) -> tuple[Kpis, list[NpsResponse]]:
    begin, finish = _moment(start, tz), _moment(end, tz)
    answers = q.nps_responses(uow, begin, finish)
    sent, answered = q.survey_response_counts(uow, begin, finish)
    csat_average, csat_count = q.csat(uow, begin, finish)
    active, returning = q.buyers(uow, start, end)
    first, last = q.latest_snapshot_before(uow, start), q.latest_snapshot_before(uow, end)
    base, churned = q.churn_counts(uow, first, last) if first and last and last > first else (0, 0)
    saved = q.saved_by_purchase(uow, start, end) | q.saved_by_nps(uow, answers, tz)
    kpis = Kpis(
        start=start,
        end=end,
        nps=Nps.of([a.score for a in answers]),
        surveys_sent=sent,
        surveys_answered=answered,
        csat_average=csat_average,
        csat_responses=csat_count,
        active_customers=active,
        returning_customers=returning,
        churn_base=base,
        churned=churned,
        points_spendable=spendable,
        points_pending=pending,
        clv_snapshot=last,
        clv_by_segment=q.clv_by_segment(uow, last) if last else {},
        saved_customers=len(saved),
        first_response=first_response_times(uow, hours, tz, begin, finish),
    )
    return kpis, answers


def _moment(day: date, tz: ZoneInfo) -> datetime:
    """The start of a local day, in UTC."""
    return datetime.combine(day, time(), tz).astimezone(UTC)
