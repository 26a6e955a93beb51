"""Loyalty rules of SPEC "Loyalty rules", on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.clock import ManualClock
from bot.config.rules import BusinessRules, EarningRules
from bot.context import AppContext
from bot.services import loyalty
from bot.services.errors import AlreadyDone, InvalidInput, NotAllowed, NotEnoughPoints
from bot.services.purchases import refund_purchase
from bot.services.rewards import redeem
from tests.services.helpers import buy, new_customer


def _balance(ctx: AppContext, customer_id: int | None) -> tuple[int, int]:
    assert customer_id is not None
    found = loyalty.current_balance(ctx.uow(), ctx.clock, customer_id)
    return found.spendable, found.pending


def test_purchase_earns_one_point_per_whole_unit_rounded_down(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    recorded = buy(ctx, ann, "129.99")
    assert recorded.points == 129
    assert _balance(ctx, ann.id) == (129, 0)


def test_replayed_order_id_earns_nothing_twice(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    buy(ctx, ann, "50", order_id="A-1")
    again = buy(ctx, ann, "50", order_id="A-1")
    assert again.created is False
    assert _balance(ctx, ann.id) == (50, 0)


def test_silver_tier_multiplies_points_after_500_earned(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    buy(ctx, ann, "500")
    assert ann.id is not None
    status = loyalty.tier_status(ctx.uow(), ctx.clock, ctx.rules, ann.id, ctx.settings.tz)
    assert status.tier.name == "Silver" and status.next_tier is not None and status.to_next == 1500
    assert buy(ctx, ann, "100").points == 125


def test_rolling_window_drops_points_older_than_a_year_from_the_tier(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann = new_customer(ctx)
    buy(ctx, ann, "600")
    clock.advance(timedelta(days=366))
    assert ann.id is not None
    assert loyalty.tier_status(ctx.uow(), ctx.clock, ctx.rules, ann.id, ctx.settings.tz).tier.name == "Member"


def test_pending_points_cannot_be_spent_until_the_pending_period_ends(
    ctx: AppContext, clock: ManualClock
) -> None:
    ctx.rules = BusinessRules(earning=EarningRules(pending_days=14))
    ann = new_customer(ctx)
    buy(ctx, ann, "150")
    assert _balance(ctx, ann.id) == (0, 150)
    assert ann.id is not None
    with pytest.raises(NotEnoughPoints):
        redeem(ctx.uow(), ctx.clock, ctx.rules, customer_id=ann.id, reward_code="five_off", request_key="r1")
    clock.advance(timedelta(days=14))
    assert _balance(ctx, ann.id) == (150, 0)


def test_refund_reverses_the_points_of_its_purchase(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    buy(ctx, ann, "40", order_id="keep")
    buy(ctx, ann, "80", order_id="return-me")
    refund = refund_purchase(ctx.uow(), ctx.clock, order_id="return-me", actor="slack:U1")
    assert refund.points_reversed == 80
    assert _balance(ctx, ann.id) == (40, 0)
    with pytest.raises(AlreadyDone):
        refund_purchase(ctx.uow(), ctx.clock, order_id="return-me", actor="slack:U1")


def test_refund_after_spending_never_drives_the_balance_negative(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    buy(ctx, ann, "120", order_id="o1")
    assert ann.id is not None
    redeem(ctx.uow(), ctx.clock, ctx.rules, customer_id=ann.id, reward_code="five_off", request_key="r1")
    refund = refund_purchase(ctx.uow(), ctx.clock, order_id="o1", actor="slack:U1")
    assert (refund.points_reversed, refund.points_not_recoverable) == (20, 100)
    assert _balance(ctx, ann.id) == (0, 0)


def test_points_expire_and_redemption_uses_the_oldest_batch_first(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann = new_customer(ctx)
    buy(ctx, ann, "100", order_id="old")
    clock.advance(timedelta(days=200))
    buy(ctx, ann, "100", order_id="new")
    assert ann.id is not None
    redeem(ctx.uow(), ctx.clock, ctx.rules, customer_id=ann.id, reward_code="five_off", request_key="r1")
    # The 100 spent came out of the old batch, so nothing is lost when it would have expired.
    clock.advance(timedelta(days=170))
    assert _balance(ctx, ann.id) == (100, 0)
    summary = loyalty.current_balance(ctx.uow(), ctx.clock, ann.id)
    assert summary.expiring == ()
    clock.advance(timedelta(days=170))
    soon = loyalty.current_balance(ctx.uow(), ctx.clock, ann.id)
    assert [points for _, points in soon.expiring] == [100]
    clock.advance(timedelta(days=30))
    assert _balance(ctx, ann.id) == (0, 0)


def test_only_admins_adjust_points_and_a_debit_cannot_overdraw(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    with pytest.raises(NotAllowed):
        loyalty.adjust_points(
            ctx.uow(),
            ctx.clock,
            ctx.rules,
            customer_id=ann.id,
            delta=50,
            reason="goodwill",
            actor="slack:U2",
            actor_is_admin=False,
            idempotency_key="k1",
        )
    assert _balance(ctx, ann.id) == (0, 0)
    loyalty.adjust_points(
        ctx.uow(),
        ctx.clock,
        ctx.rules,
        customer_id=ann.id,
        delta=50,
        reason="goodwill",
        actor="slack:U1",
        actor_is_admin=True,
        idempotency_key="k2",
    )
    with pytest.raises(InvalidInput):
        loyalty.adjust_points(
            ctx.uow(),
            ctx.clock,
            ctx.rules,
            customer_id=ann.id,
            delta=-60,
            reason="oops",
            actor="slack:U1",
            actor_is_admin=True,
            idempotency_key="k3",
        )
    assert _balance(ctx, ann.id) == (50, 0)


def test_birthday_entered_less_than_30_days_before_earns_no_reward(
    ctx: AppContext, clock: ManualClock
) -> None:
    today = clock.now().date()
    gamer = new_customer(ctx, "G", birthday=today + timedelta(days=10))
    honest = new_customer(ctx, "H", birthday=today + timedelta(days=40))
    assert not loyalty.birthday_reward_allowed(gamer, today + timedelta(days=10), 30)
    assert loyalty.birthday_reward_allowed(honest, today + timedelta(days=40), 30)


def test_second_confirmation_of_a_redemption_issues_no_second_coupon(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    buy(ctx, ann, "250")
    assert ann.id is not None
    first = redeem(
        ctx.uow(), ctx.clock, ctx.rules, customer_id=ann.id, reward_code="five_off", request_key="tap-1"
    )
    again = redeem(
        ctx.uow(), ctx.clock, ctx.rules, customer_id=ann.id, reward_code="five_off", request_key="tap-1"
    )
    assert first.newly_confirmed and not again.newly_confirmed
    assert first.redemption.coupon_code == again.redemption.coupon_code
    assert _balance(ctx, ann.id) == (150, 0)


def test_amounts_are_decimal_not_float(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    recorded = buy(ctx, ann, "0.10")
    assert recorded.purchase.amount == Decimal("0.10")


def test_a_purchase_earning_more_points_than_32_bits_hold_is_credited_exactly(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    recorded = buy(ctx, ann, "3000000000")  # 3e9 points: past 2**31 - 1, the old INTEGER column's ceiling
    assert recorded.points == 3_000_000_000
    assert _balance(ctx, ann.id) == (3_000_000_000, 0)
    refund = refund_purchase(ctx.uow(), ctx.clock, order_id=recorded.purchase.order_id, actor="slack:U1")
    assert refund.points_reversed == 3_000_000_000
    assert _balance(ctx, ann.id) == (0, 0)


def test_an_adjustment_above_the_bound_is_refused_clearly_and_changes_nothing(ctx: AppContext) -> None:
    ann = new_customer(ctx)
    assert ann.id is not None
    for delta in (loyalty.MAX_ADJUSTMENT + 1, -(loyalty.MAX_ADJUSTMENT + 1), 2**63):
        with pytest.raises(InvalidInput, match="at most 1,000,000 points"):
            loyalty.adjust_points(
                ctx.uow(),
                ctx.clock,
                ctx.rules,
                customer_id=ann.id,
                delta=delta,
                reason="typo",
                actor="slack:U1",
                actor_is_admin=True,
                idempotency_key=f"big-{delta}",
            )
    assert _balance(ctx, ann.id) == (0, 0)
    entry, created = loyalty.adjust_points(
        ctx.uow(),
        ctx.clock,
        ctx.rules,
        customer_id=ann.id,
        delta=loyalty.MAX_ADJUSTMENT,
        reason="migrated balance",
        actor="slack:U1",
        actor_is_admin=True,
        idempotency_key="at-the-bound",
    )
    assert created and entry.delta == 1_000_000
    assert _balance(ctx, ann.id) == (1_000_000, 0)


def test_a_ledger_entry_too_large_for_the_column_is_refused_before_it_is_written(ctx: AppContext) -> None:
    ctx.rules = BusinessRules(earning=EarningRules(points_per_currency_unit=Decimal(10_000_000)))
    ann = new_customer(ctx)
    with pytest.raises(InvalidInput, match="more points than one entry can hold"):
        buy(ctx, ann, "9999999999", order_id="absurd")  # 1e17 points: the rules, not the shop, are wrong
    assert _balance(ctx, ann.id) == (0, 0)
    ctx.rules = BusinessRules()
    assert buy(ctx, ann, "10", order_id="absurd").created  # nothing of the refused purchase was kept
