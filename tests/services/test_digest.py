"""The digest's content as plain values: what happened since the previous digest, tickets past their SLA,
KPI changes against what the previous digest showed, and the chart's two series."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

from PIL import Image

from bot.clock import ManualClock
from bot.context import AppContext
from bot.jobs.claims import claim, finish
from bot.services.digest import WeekCount, build_digest
from bot.services.digest_chart import digest_chart_png, digest_figure
from bot.services.digest_record import JOB_NAME, DigestRecord, day_run
from bot.services.tickets import receive_feedback
from storage.models import Customer, SurveyDispatch, SurveyResponse
from tests.services.helpers import buy, new_customer

DAY0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def answer_nps(ctx: AppContext, customer: Customer, score: int, comment: str) -> None:
    """An answered survey as the survey flow leaves it (dispatch + response)."""
    assert customer.id is not None
    with ctx.uow() as uow:
        dispatch = SurveyDispatch(customer_id=customer.id, status="answered", sent_at=ctx.clock.now())
        uow.session.add(dispatch)
        uow.flush()
        assert dispatch.id is not None
        uow.session.add(
            SurveyResponse(
                dispatch_id=dispatch.id,
                customer_id=customer.id,
                score=score,
                comment=comment,
                answered_at=ctx.clock.now(),
            )
        )


def post_record(ctx: AppContext, day: date) -> None:
    """What posting leaves: the day's claim, finished with the digest's record."""
    built = build_digest(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, day)
    assert claim(ctx.uow(), JOB_NAME, day.isoformat(), ctx.clock.now())
    detail = built.record("C1", "1.000").to_detail(built.summary())
    finish(ctx.uow(), JOB_NAME, day.isoformat(), ctx.clock.now(), ok=True, detail=detail)


def test_digest_shows_what_happened_since_the_previous_digest_and_tickets_past_sla(
    ctx: AppContext, clock: ManualClock
) -> None:
    clock.set(DAY0)
    ann = new_customer(ctx, "C1", name="Ann Lee")
    bob = new_customer(ctx, "C2", name="Bob Chan")
    assert ann.id is not None
    answer_nps(ctx, ann, 3, "delivery was late")
    answer_nps(ctx, bob, 10, "great")
    receive_feedback(
        ctx.uow(), clock, customer_id=ann.id, text="Terrible service, awful and rude.", source_event_id="m1"
    )

    clock.set(DAY0 + timedelta(hours=23))  # the next morning
    first = build_digest(ctx.uow(), clock, ctx.rules, ctx.settings.tz, date(2026, 3, 3))
    assert [(d.external_id, d.score, d.text) for d in first.detractors] == [("C1", 3, "delivery was late")]
    assert [f.external_id for f in first.negative_feedback] == ["C1"]
    assert first.overdue_tickets == ()  # 23 hours open, SLA 48
    assert first.scoring_error is not None and first.new_at_risk == ()  # too little data to score
    post_record(ctx, date(2026, 3, 3))

    clock.set(DAY0 + timedelta(days=3))
    later = build_digest(ctx.uow(), clock, ctx.rules, ctx.settings.tz, date(2026, 3, 5))
    assert later.detractors == () and later.negative_feedback == ()  # shown in the previous digest
    assert [(t.external_id, round(t.hours_open)) for t in later.overdue_tickets] == [("C1", 72)]
    assert later.since == DAY0 + timedelta(hours=23)


def test_kpi_changes_are_against_what_the_previous_digest_showed(ctx: AppContext, clock: ManualClock) -> None:
    clock.set(DAY0)
    ann = new_customer(ctx, "C1")
    buy(ctx, ann, "20")
    post_record(ctx, date(2026, 3, 2))
    record = DigestRecord.from_detail(day_run(ctx.uow(), date(2026, 3, 2)).detail)  # type: ignore[union-attr]
    assert record is not None and record.ts == "1.000" and record.headline["active_customers"] == 1

    clock.set(DAY0 + timedelta(days=1))
    for n in range(2, 5):
        buy(ctx, new_customer(ctx, f"C{n}"), "10")
    built = build_digest(ctx.uow(), clock, ctx.rules, ctx.settings.tz, date(2026, 3, 3))
    active = built.metric("active_customers")
    assert built.compared_with_digest
    assert (active.value, active.previous, active.change) == (4, 1, 3)
    assert len(built.weeks) == 12 and built.weeks[-1].week_end == date(2026, 3, 3)


def test_chart_plots_nps_and_at_risk_per_week_into_a_real_png() -> None:
    weeks = [
        WeekCount(
            date(2026, 1, 5) + timedelta(weeks=i),
            nps=None if i == 0 else 10.0 * i - 40,
            answers=i,
            at_risk=i * 3,
        )
        for i in range(12)
    ]
    figure = digest_figure(weeks, "test")
    nps_axis, risk_axis = figure.axes
    nps_line = next(line for line in nps_axis.get_lines() if line.get_label() == "NPS")
    risk_line = next(line for line in risk_axis.get_lines() if line.get_label() == "at risk")
    nps_values = list(nps_line.get_ydata())  # type: ignore[arg-type]
    assert (
        nps_values[1:] == [10.0 * i - 40 for i in range(1, 12)] and nps_values[0] != nps_values[0]
    )  # NaN gap
    assert list(risk_line.get_ydata()) == [float(i * 3) for i in range(12)]  # type: ignore[arg-type]

    png = digest_chart_png(weeks, "test")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.size == (800, 360)
