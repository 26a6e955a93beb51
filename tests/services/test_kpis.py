"""Each KPI follows its definition in docs/analytics.md, on small constructed data in a real database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bot.context import AppContext
from bot.importing.records import PurchaseRecord
from bot.services import imports
from bot.services.errors import InvalidInput
from bot.services.kpis import KpiReport, compute_kpis, weeks
from storage.models import Customer, PointsEntry, Purchase, RiskSnapshot, SurveyDispatch, SurveyResponse

START, END = date(2026, 2, 1), date(2026, 3, 1)  # the period: February (the clock says 2 March)
BEFORE = date(2026, 1, 31)  # the snapshot describing the start of the period
LAST = date(2026, 2, 28)  # the snapshot describing its end


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@dataclass
class Shop:
    ids: dict[str, int]


@pytest.fixture
def shop(ctx: AppContext) -> Shop:
    """Customers A-E with purchases, surveys, snapshots and points as the tests describe them."""
    bought = [
        ("A", date(2025, 12, 1)),  # A: bought before and during: returning
        ("A", date(2026, 2, 10)),
        ("B", date(2026, 2, 20)),  # B: first purchase in the period (and flagged before it)
        ("C", date(2025, 11, 5)),  # C: bought only before the period
        ("D", date(2025, 10, 1)),
        ("E", date(2025, 10, 1)),
        ("E", date(2026, 2, 14)),  # E: a purchase that is refunded below
    ]
    records = [PurchaseRecord(c, d, Decimal("20.00"), f"{c}-{d}") for c, d in bought]
    imports.import_purchases(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, records)
    with ctx.uow() as uow:
        ids = {c.external_id: c.id for c in uow.session.exec(select(Customer)).all() if c.id is not None}
        refunded = uow.session.exec(select(Purchase).where(Purchase.order_id == "E-2026-02-14")).one()
        refunded.refunded_at = at(date(2026, 2, 15))

        def snap(who: str, day: date, stage: str, at_risk: bool, clv: float, segment: str = "Loyal") -> None:
            uow.session.add(
                RiskSnapshot(
                    customer_id=ids[who], as_of=day, frequency=1, recency_weeks=1.0, age_weeks=2.0,
                    p_alive=0.5, clv=clv, segment=segment, stage=stage, at_risk=at_risk,
                )
            )  # fmt: skip

        snap("A", BEFORE, "active", False, 100.0)
        snap("B", BEFORE, "at_risk", True, 50.0)
        snap("C", BEFORE, "churned", True, 5.0)
        snap("D", BEFORE, "at_risk", True, 20.0)
        snap("E", BEFORE, "at_risk", True, 30.0)
        snap("A", LAST, "active", False, 120.0, "Champions")
        snap("B", LAST, "active", False, 60.0)
        snap("C", LAST, "churned", True, 4.0, "Lost")
        snap("D", LAST, "churned", True, 10.0, "Lost")
        snap("E", LAST, "at_risk", True, 30.0)

        def answer(who: str, kind: str, sent: date, score: int | None, comment: str | None = None) -> None:
            dispatch = SurveyDispatch(customer_id=ids[who], kind=kind, status="sent", sent_at=at(sent))
            uow.session.add(dispatch)
            uow.flush()
            if score is not None and dispatch.id is not None:
                uow.session.add(
                    SurveyResponse(
                        dispatch_id=dispatch.id,
                        customer_id=ids[who],
                        kind=kind,
                        score=score,
                        comment=comment,
                        answered_at=at(sent, 15),
                    )
                )

        answer("D", "nps", date(2026, 1, 10), 4)  # before the period: D's and E's previous answers
        answer("E", "nps", date(2026, 1, 10), 7)
        answer("A", "nps", date(2026, 2, 3), 10, "great")
        answer("B", "nps", date(2026, 2, 4), 9)
        answer("C", "nps", date(2026, 2, 5), 3, "too slow")
        answer("D", "nps", date(2026, 2, 6), 8, "better now")  # up from 4 while flagged: saved
        answer("E", "nps", date(2026, 2, 7), 6)  # down from 7: not saved
        answer("A", "nps", date(2026, 2, 25), None)  # sent, never answered
        answer("A", "csat", date(2026, 2, 11), 5)
        answer("B", "csat", date(2026, 2, 12), 4)
        answer("C", "csat", date(2026, 2, 13), 2)

        def points(who: str, delta: int, created: date, available: date, key: str) -> None:
            expires = at(created) + timedelta(days=365) if delta > 0 else None
            uow.session.add(
                PointsEntry(
                    customer_id=ids[who],
                    delta=delta,
                    kind="earn" if delta > 0 else "redeem",
                    actor="system",
                    idempotency_key=key,
                    available_at=at(available),
                    expires_at=expires,
                    created_at=at(created),
                )
            )

        points("A", 100, date(2026, 1, 5), date(2026, 1, 5), "a1")
        points("A", -30, date(2026, 2, 20), date(2026, 2, 20), "a2")
        points("B", 50, date(2026, 2, 25), date(2026, 4, 1), "b1")  # still pending at the end
        points("C", 40, date(2025, 1, 2), date(2025, 1, 2), "c1")  # expired on 2026-01-02
    return Shop(ids)


def report(ctx: AppContext, trend: bool = False) -> KpiReport:
    return compute_kpis(ctx.uow(), ctx.clock, ctx.settings.tz, START, END, trend=trend)


def test_nps_counts_promoters_passives_and_detractors_with_the_answers_behind_them(
    ctx: AppContext, shop: Shop
) -> None:
    result = report(ctx)
    nps = result.period.nps
    assert (nps.promoters, nps.passives, nps.detractors) == (2, 1, 2)
    assert nps.responses == 5 and nps.score == pytest.approx(0.0)
    assert [(a.external_id, a.score, a.comment) for a in result.nps_answers] == [
        ("E", 6, None),
        ("D", 8, "better now"),
        ("C", 3, "too slow"),
        ("B", 9, None),
        ("A", 10, "great"),
    ]


def test_response_rate_is_answered_over_sent_nps_surveys_of_the_period(ctx: AppContext, shop: Shop) -> None:
    kpis = report(ctx).period
    assert (kpis.surveys_sent, kpis.surveys_answered) == (6, 5)
    assert kpis.response_rate == pytest.approx(5 / 6)


def test_csat_is_the_mean_answer(ctx: AppContext, shop: Shop) -> None:
    kpis = report(ctx).period
    assert kpis.csat_responses == 3 and kpis.csat_average == pytest.approx(11 / 3)


def test_active_customers_and_repurchase_rate_count_non_refunded_purchases(
    ctx: AppContext, shop: Shop
) -> None:
    kpis = report(ctx).period
    assert kpis.active_customers == 2  # A and B; E's purchase was refunded
    assert kpis.returning_customers == 1 and kpis.repurchase_rate == pytest.approx(0.5)


def test_churn_rate_is_customers_churned_since_the_start_snapshot(ctx: AppContext, shop: Shop) -> None:
    kpis = report(ctx).period
    assert (kpis.churn_base, kpis.churned) == (4, 1)  # A, B, D, E were not churned; D is now
    assert kpis.churn_rate == pytest.approx(0.25)


def test_clv_by_segment_comes_from_the_last_snapshot_of_the_period(ctx: AppContext, shop: Shop) -> None:
    kpis = report(ctx).period
    assert kpis.clv_snapshot == LAST
    by_segment = {name: (v.customers, v.total_clv, v.mean_clv) for name, v in kpis.clv_by_segment.items()}
    assert by_segment == {"Champions": (1, 120.0, 120.0), "Loyal": (2, 90.0, 45.0), "Lost": (2, 14.0, 7.0)}


def test_saved_customers_bought_again_or_scored_higher_after_being_flagged(
    ctx: AppContext, shop: Shop
) -> None:
    assert report(ctx).period.saved_customers == 2  # B bought while flagged; D's score rose from 4 to 8


def test_points_liability_is_unexpired_spendable_plus_pending_points(ctx: AppContext, shop: Shop) -> None:
    kpis = report(ctx).period
    assert (kpis.points_spendable, kpis.points_pending) == (70, 50)
    assert kpis.points_liability == 120


def test_the_weekly_trend_covers_the_period_and_its_counts_add_up(ctx: AppContext, shop: Shop) -> None:
    result = report(ctx, trend=True)
    assert [(w.start, w.end) for w in result.trend] == weeks(START, END)
    assert result.trend[0].start == START and result.trend[-1].end == END
    assert sum(w.nps.responses for w in result.trend) == result.period.nps.responses
    assert sum(w.surveys_sent for w in result.trend) == result.period.surveys_sent
    assert result.trend[-1].points_liability == result.period.points_liability
    assert [w.points_liability for w in result.trend][:1] == [100]  # A's 100 before the redemption


def test_weeks_end_at_the_period_end_and_the_oldest_may_be_short() -> None:
    assert weeks(date(2026, 1, 1), date(2026, 1, 17)) == [
        (date(2026, 1, 1), date(2026, 1, 3)),
        (date(2026, 1, 3), date(2026, 1, 10)),
        (date(2026, 1, 10), date(2026, 1, 17)),
    ]


def test_an_empty_period_is_refused_and_an_empty_shop_has_no_rates(ctx: AppContext) -> None:
    with pytest.raises(InvalidInput):
        compute_kpis(ctx.uow(), ctx.clock, ctx.settings.tz, END, START)
    kpis = report(ctx).period
    assert kpis.nps.score is None and kpis.response_rate is None and kpis.csat_average is None
    assert kpis.churn_rate is None and kpis.repurchase_rate is None and kpis.points_liability == 0
    assert kpis.clv_by_segment == {} and kpis.saved_customers == 0
