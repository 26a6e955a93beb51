"""Old risk snapshots thin out: day by day for the recent past, then a day a week, then a day a month,
so the table grows by weeks and months instead of a row per customer per day forever."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import col, func, select

from bot.config.rules import SnapshotRules
from bot.context import AppContext
from bot.services.customers import create_customer
from bot.services.scoring import score_all
from bot.services.snapshot_retention import days_to_drop, scored_days, thin_snapshots
from storage.models import RiskSnapshot

from .test_scoring import history, load

NEWEST = date(2026, 2, 27)  # a Friday
RULES = SnapshotRules(daily_days=90, weekly_days=730)


def every_day(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_recent_days_stay_then_one_a_week_then_one_a_month() -> None:
    days = every_day(NEWEST - timedelta(days=1200), NEWEST)
    kept = sorted(set(days) - set(days_to_drop(days, NEWEST, RULES)))

    recent = [d for d in kept if d >= NEWEST - timedelta(days=90)]
    assert recent == every_day(NEWEST - timedelta(days=90), NEWEST)

    in_weekly_span = [d for d in days if NEWEST - timedelta(days=730) <= d < NEWEST - timedelta(days=90)]
    weekly = [d for d in kept if d in in_weekly_span]
    assert [d.isocalendar()[:2] for d in weekly] == sorted({d.isocalendar()[:2] for d in in_weekly_span})
    assert all(d.isoweekday() == 7 for d in weekly[:-1])  # the week's last day: Sunday, all being scored

    in_monthly_span = [d for d in days if d < NEWEST - timedelta(days=730)]
    monthly = [d for d in kept if d in in_monthly_span]
    assert [(d.year, d.month) for d in monthly] == sorted({(d.year, d.month) for d in in_monthly_span})
    assert all((d + timedelta(days=1)).day == 1 for d in monthly[:-1])  # the month's last day
    assert len(kept) == 91 + len(weekly) + len(monthly) < len(days) / 5


def test_a_gap_in_scoring_keeps_the_last_day_that_was_scored() -> None:
    old_week = every_day(date(2025, 6, 2), date(2025, 6, 4))  # Mon–Wed scored, then nothing
    drop = days_to_drop([*old_week, NEWEST], NEWEST, RULES)
    assert drop == [date(2025, 6, 2), date(2025, 6, 3)]


def test_the_weekly_span_cannot_be_shorter_than_the_daily_one() -> None:
    with pytest.raises(ValidationError, match="weekly_days must be at least"):
        SnapshotRules(daily_days=120, weekly_days=60)


def _snapshot_days(ctx: AppContext, customers: list[int], days: list[date]) -> None:
    with ctx.uow() as uow:
        for day in days:
            for customer in customers:
                row = RiskSnapshot(customer_id=customer, as_of=day, frequency=1, recency_weeks=1, age_weeks=2)
                uow.session.add(row)


def _rows_per_day(ctx: AppContext) -> dict[date, int]:
    with ctx.uow() as uow:
        counted = uow.session.exec(
            select(col(RiskSnapshot.as_of), func.count()).group_by(col(RiskSnapshot.as_of))
        ).all()
        return {day: count for day, count in counted}


def test_thinning_deletes_exactly_the_dropped_days_and_a_second_run_nothing(ctx: AppContext) -> None:
    with ctx.uow() as uow:
        made = [create_customer(uow, ctx.clock, external_id=f"C{n}", name=f"C{n}") for n in range(3)]
        customers = [customer.id or 0 for customer in made]
    days = every_day(NEWEST - timedelta(days=150), NEWEST)
    _snapshot_days(ctx, customers, days)
    rules = SnapshotRules(daily_days=30, weekly_days=90)
    expected_gone = days_to_drop(days, NEWEST, rules)

    removed = thin_snapshots(ctx.uow(), rules)

    assert removed == 3 * len(expected_gone) > 0
    left = _rows_per_day(ctx)
    assert sorted(left) == sorted(set(days) - set(expected_gone)) == scored_days(ctx.uow())
    assert set(left.values()) == {3}  # a kept day keeps every customer's row
    assert thin_snapshots(ctx.uow(), rules) == 0


def test_scoring_thins_the_history_as_it_stores_the_day(ctx: AppContext) -> None:
    load(ctx, history())
    scored = score_all(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, as_of=NEWEST)
    customers = sorted(_customers_scored(ctx))
    old = every_day(NEWEST - timedelta(days=200), NEWEST - timedelta(days=1))
    _snapshot_days(ctx, customers, old)

    run = score_all(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, as_of=NEWEST)

    gone = days_to_drop([*old, NEWEST], NEWEST, ctx.rules.snapshots)
    assert run.snapshots_thinned == len(customers) * len(gone) > 0
    assert run.snapshots_written == scored.snapshots_written == len(customers)
    assert not set(gone) & set(_rows_per_day(ctx))


def _customers_scored(ctx: AppContext) -> set[int]:
    with ctx.uow() as uow:
        return set(uow.session.exec(select(RiskSnapshot.customer_id)).all())
