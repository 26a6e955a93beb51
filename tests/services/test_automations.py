"""Domain side of the scheduled automations: expiry, birthdays, win-back A/B."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import select

from bot.clock import ManualClock
from bot.config.rules import BirthdayRules, BusinessRules
from bot.context import AppContext
from bot.services import expiry, winback
from bot.services.birthdays import birthday_on, greet_birthdays
from bot.services.loyalty import current_balance
from bot.services.purchases import record_purchase
from storage.models import PointsEntry, WinbackOffer
from tests.services.helpers import buy, new_customer


def test_expired_batches_are_written_to_the_ledger_once(ctx: AppContext, clock: ManualClock) -> None:
    ann = new_customer(ctx)
    buy(ctx, ann, "120")
    assert ann.id is not None
    clock.advance(timedelta(days=360))
    notices = expiry.batches_needing_notice(ctx.uow(), ctx.clock, ctx.rules)
    assert [(n.customer_id, n.points) for n in notices] == [(ann.id, 120)]
    assert expiry.expire_points(ctx.uow(), ctx.clock) == 0
    clock.advance(timedelta(days=6))
    assert expiry.expire_points(ctx.uow(), ctx.clock) == 120
    assert expiry.expire_points(ctx.uow(), ctx.clock) == 0
    uow = ctx.uow()
    with uow:
        kinds = [e.kind for e in uow.session.exec(select(PointsEntry)).all()]
    assert kinds == ["earn", "expire"]
    assert current_balance(ctx.uow(), ctx.clock, ann.id).spendable == 0


def test_birthday_bonus_is_paid_once_a_year_and_not_for_a_fresh_birthday(
    ctx: AppContext, clock: ManualClock
) -> None:
    ctx.rules = BusinessRules(birthday=BirthdayRules(bonus_points=50))
    in_40_days = clock.now().date() + timedelta(days=40)
    honest = new_customer(ctx, "H", birthday=in_40_days.replace(year=1990))
    clock.advance(timedelta(days=40))
    gamer = new_customer(ctx, "G", birthday=in_40_days.replace(year=1995))  # entered on the day itself
    greetings = greet_birthdays(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz)
    assert {(g.customer_id, g.bonus_points) for g in greetings} == {(honest.id, 50), (gamer.id, 0)}
    greet_birthdays(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz)  # the job running twice pays once
    assert honest.id is not None and current_balance(ctx.uow(), ctx.clock, honest.id).spendable == 50


def test_leap_day_birthdays_are_celebrated_on_28_february() -> None:
    assert birthday_on(date(2000, 2, 29), 2027) == date(2027, 2, 28)
    assert birthday_on(date(2000, 2, 29), 2028) == date(2028, 2, 29)


def test_winback_splits_variants_measures_conversions_and_tests_significance(
    ctx: AppContext, clock: ManualClock
) -> None:
    customers = [new_customer(ctx, f"C{i}") for i in range(40)]
    ids = [c.id for c in customers if c.id is not None]
    offers = winback.queue_offers(ctx.uow(), ctx.clock, ctx.rules, customer_ids=ids, episode="2026-03-02")
    again = winback.queue_offers(ctx.uow(), ctx.clock, ctx.rules, customer_ids=ids, episode="2026-03-02")
    assert len(offers) == 40 and {o.id for o in again} == {o.id for o in offers}
    assert {o.variant for o in offers} == {"A", "B"}
    for offer in offers:
        assert offer.id is not None
        winback.mark_offer(ctx.uow(), ctx.clock, offer_id=offer.id, sent=True)
    clock.advance(timedelta(days=3))
    converters = [o for o in offers if o.variant == "A"]
    for offer in converters:
        record_purchase(
            ctx.uow(),
            ctx.clock,
            ctx.rules,
            ctx.settings.tz,
            customer_id=offer.customer_id,
            amount=Decimal("20"),
        )
    assert winback.record_conversions(ctx.uow(), ctx.clock, ctx.rules) == len(converters)
    report = winback.winback_report(ctx.uow())
    by_name = {r.variant: r for r in report.variants}
    assert by_name["A"].rate == 1.0 and by_name["B"].rate == 0.0
    assert report.test == "fisher" and report.significant


def test_winback_skips_customers_who_opted_out(ctx: AppContext) -> None:
    ann = new_customer(ctx, "A")
    bob = new_customer(ctx, "B")
    uow = ctx.uow()
    with uow:
        bob.allows_promotions = False
        uow.session.add(bob)
    ids = [c.id for c in (ann, bob) if c.id is not None]
    offers = winback.queue_offers(ctx.uow(), ctx.clock, ctx.rules, customer_ids=ids, episode="e1")
    assert [o.customer_id for o in offers] == [ann.id]
    assert all(isinstance(o, WinbackOffer) for o in offers)
    assert winback.winback_report(ctx.uow()).test == "none"
