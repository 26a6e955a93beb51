"""Scoring runs on a real database: snapshots per day, customers entering at risk, snoozes, the list."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, func, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.i18n import translator
from bot.importing.records import PurchaseRecord
from bot.services import imports
from bot.services.risk_list import list_at_risk
from bot.services.risk_reasons import describe_reason
from bot.services.scoring import ScoringFailed, ScoringRun, score_all
from storage.models import Customer, FollowUp, Purchase, RiskSnapshot

START = date(2025, 10, 1)
QUIET_FROM = date(2026, 1, 10)  # the slipper's last purchase
DAY1, DAY2, DAY3 = date(2026, 1, 15), date(2026, 2, 5), date(2026, 2, 6)


def history(last_day: date = date(2026, 2, 27)) -> list[PurchaseRecord]:
    """24 regulars with their own rhythms, and `slipper`, who bought every 10 days until QUIET_FROM."""
    records = []
    for i in range(24):
        every = 7 + (i % 5) * 3
        day, k = START + timedelta(days=i % 7), 0
        while day <= last_day:
            amount = Decimal(10 + i + (k % 3) * 4)
            records.append(PurchaseRecord(f"R{i:02d}", day, amount, f"R{i:02d}-{k}"))
            day, k = day + timedelta(days=every), k + 1
    day, k = QUIET_FROM - timedelta(days=70), 0
    while day <= QUIET_FROM:
        records.append(PurchaseRecord("slipper", day, Decimal("40.00"), f"S-{k}"))
        day, k = day + timedelta(days=10), k + 1
    return records


def load(ctx: AppContext, records: list[PurchaseRecord]) -> None:
    imports.import_purchases(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, records)


def customer_id(ctx: AppContext, external_id: str) -> int:
    with ctx.uow() as uow:
        found = uow.session.exec(select(Customer.id).where(Customer.external_id == external_id)).one()
        assert found is not None
        return found


def score(ctx: AppContext, as_of: date | None = None) -> ScoringRun:
    return score_all(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, as_of=as_of)


def entered(run: ScoringRun) -> list[str]:
    return [row.external_id for row in run.entered]


def snapshot_count(ctx: AppContext, day: date) -> int:
    with ctx.uow() as uow:
        return int(uow.session.exec(select(func.count()).where(RiskSnapshot.as_of == day)).one())


def test_each_run_writes_one_snapshot_per_customer_and_rerunning_the_day_replaces_them(
    ctx: AppContext,
) -> None:
    load(ctx, history())
    first = score(ctx, DAY1)
    assert first.customers == 25 and first.snapshots_written == 25
    again = score(ctx, DAY1)
    assert snapshot_count(ctx, DAY1) == 25
    assert again.summary() == first.summary()
    assert entered(again) == entered(first)  # same previous day, same answer
    with ctx.uow() as uow:
        row = uow.session.exec(select(RiskSnapshot).where(RiskSnapshot.as_of == DAY1)).first()
    assert row is not None and row.p_alive is not None and 0 < row.p_alive <= 1
    assert len(row.rfm) == 3 and row.segment and row.stage and json.loads(row.reasons) is not None


def test_a_customer_who_goes_quiet_enters_at_risk_once(ctx: AppContext) -> None:
    load(ctx, history())
    assert "slipper" not in entered(score(ctx, DAY1))  # 5 days since the last purchase
    second = score(ctx, DAY2)  # 26 days; usually every 10
    assert "slipper" in entered(second)
    assert second.previous_as_of == DAY1
    row = next(r for r in second.entered if r.external_id == "slipper")
    words = [describe_reason(reason, translator("en")) for reason in row.reasons]
    assert "no purchase for 26 days; usually buys every 10" in words
    assert row.value_at_risk > 0
    assert "slipper" not in entered(score(ctx, DAY3))  # still at risk: no second alert


def test_the_entered_list_is_ranked_by_value_at_risk(ctx: AppContext) -> None:
    load(ctx, history())
    run = score(ctx, DAY2)
    values = [row.value_at_risk for row in run.entered]
    assert values == sorted(values, reverse=True)


def test_snoozed_customers_stay_out_until_the_snooze_ends(ctx: AppContext, clock: ManualClock) -> None:
    load(ctx, history())
    score(ctx, DAY1)
    slipper = customer_id(ctx, "slipper")
    with ctx.uow() as uow:
        until = ctx.clock.now() + timedelta(days=3)
        uow.session.add(FollowUp(customer_id=slipper, snoozed_until=until, snooze_reason="on holiday"))
    snoozed = score(ctx, DAY2)
    assert "slipper" not in entered(snoozed) and snoozed.snoozed >= 1
    assert slipper not in [row.customer_id for row in list_at_risk(ctx.uow(), ctx.clock, limit=100)]

    clock.advance(timedelta(days=4))
    back = score(ctx)  # today, after the snooze ended
    assert "slipper" in entered(back)
    assert slipper in [row.customer_id for row in list_at_risk(ctx.uow(), ctx.clock, limit=100)]


def test_the_at_risk_list_is_the_latest_day_ranked_by_value_at_risk(ctx: AppContext) -> None:
    load(ctx, history())
    score(ctx, DAY1)
    run = score(ctx, DAY2)
    listed = list_at_risk(ctx.uow(), ctx.clock, limit=100)
    assert len(listed) == run.at_risk and {r.as_of for r in listed} == {DAY2}
    assert [r.value_at_risk for r in listed] == sorted((r.value_at_risk for r in listed), reverse=True)
    assert all(r.reasons for r in listed)
    assert list_at_risk(ctx.uow(), ctx.clock, limit=1) == listed[:1]


def test_refunded_and_later_purchases_do_not_count(ctx: AppContext) -> None:
    load(ctx, history())
    baseline = score(ctx, DAY1)
    with ctx.uow() as uow:
        refunded = uow.session.exec(select(Purchase).where(Purchase.order_id == "R00-0")).one()
        refunded.refunded_at = ctx.clock.now()
        uow.session.add(refunded)
    after = score(ctx, DAY1)
    assert after.customers == baseline.customers
    assert after.result.summary.n_orders.sum() == baseline.result.summary.n_orders.sum() - 1
    with ctx.uow() as uow:
        later = uow.session.exec(select(func.count()).where(col(Purchase.purchased_on) > DAY1)).one()
    assert later > 0  # they exist, and were left out above


def test_too_little_data_is_a_domain_error_and_writes_nothing(ctx: AppContext) -> None:
    load(ctx, [r for r in history() if r.customer_id in ("R00", "R01", "slipper")])
    with pytest.raises(ScoringFailed, match="BG/NBD needs at least 10 customers, got 3"):
        score(ctx, DAY1)
    assert snapshot_count(ctx, DAY1) == 0


def test_a_future_as_of_is_refused(ctx: AppContext) -> None:
    load(ctx, history())
    tomorrow = ctx.clock.now().astimezone(UTC).date() + timedelta(days=1)
    with pytest.raises(ScoringFailed, match="in the future"):
        score(ctx, tomorrow)


def test_scoring_without_as_of_uses_today_in_the_business_timezone(
    ctx: AppContext, clock: ManualClock
) -> None:
    load(ctx, history())
    clock.set(datetime(2026, 3, 2, 23, 30, tzinfo=UTC))  # already 3 March in Asia/Shanghai
    shanghai = score_all(ctx.uow(), ctx.clock, ctx.rules, ZoneInfo("Asia/Shanghai"))
    assert shanghai.as_of == date(2026, 3, 3)
