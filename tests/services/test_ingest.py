"""Live purchases and refunds (bot/services/ingest.py), as the API and the shop webhooks use them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bot.clock import ManualClock
from bot.config.rules import BusinessRules, TierRules
from bot.context import AppContext
from bot.events import CustomerNotice
from bot.services.errors import AlreadyDone, RefundTooLarge
from bot.services.ingest import (
    CustomerRef,
    OrderConflict,
    find_or_create_customer,
    record_live_purchase,
    record_live_purchase_for,
    record_live_refund,
)
from bot.services.merge import merge_customers
from tests.services.helpers import new_customer


def _buy(ctx: AppContext, who: CustomerRef, order_id: str, amount: str) -> object:
    return record_live_purchase_for(
        ctx.uow(),
        ctx.clock,
        ctx.rules,
        ctx.settings.tz,
        who=who,
        order_id=order_id,
        amount=Decimal(amount),
        default_region="US",
        source="api",
        actor="api:till",
    )


def test_customers_are_matched_by_id_then_phone_then_email_else_created(ctx: AppContext) -> None:
    ann = new_customer(ctx, "C1", phone="+14155550123", email="ann@example.com")
    find = lambda **kw: find_or_create_customer(ctx.uow(), ctx.clock, default_region="US", **kw)  # noqa: E731
    assert find(customer_id="C1").id == ann.id
    assert find(phone="(415) 555-0123").id == ann.id
    assert find(email="ANN@Example.com").id == ann.id
    bob = find(phone="+1 212 555 0188", name="Bob", source="shopify")
    assert bob.id != ann.id and bob.external_id.startswith("shopify-") and bob.phone == "+12125550188"
    assert find(email="bob@example.com", phone="2125550188").id == bob.id
    assert find(customer_id="C1").email == "ann@example.com"


def test_a_merged_customer_resolves_to_the_survivor(ctx: AppContext) -> None:
    keep = new_customer(ctx, "KEEP")
    dup = new_customer(ctx, "DUP", phone="+14155550123")
    assert keep.id is not None and dup.id is not None
    merge_customers(ctx.uow(), ctx.clock, keep_id=keep.id, duplicate_id=dup.id, actor="slack:U1")
    assert find_or_create_customer(ctx.uow(), ctx.clock, customer_id="DUP").id == keep.id


def test_a_live_purchase_is_recorded_once_and_tells_the_customer(ctx: AppContext) -> None:
    uow = ctx.uow()
    customer = find_or_create_customer(uow, ctx.clock, customer_id="C9")
    uow = ctx.uow()
    first = record_live_purchase(
        uow, ctx.clock, ctx.rules, ctx.settings.tz, customer=customer, order_id="T-1",
        amount=Decimal("42.50"), source="api",
    )  # fmt: skip
    assert (first.created, first.points, first.balance.spendable) == (True, 42, 42)
    notices = [e for e in uow.committed_events if isinstance(e, CustomerNotice)]
    assert len(notices) == 1 and notices[0].receipt and not notices[0].promotional
    again = ctx.uow()
    repeat = record_live_purchase(
        again, ctx.clock, ctx.rules, ctx.settings.tz, customer=customer, order_id="T-1",
        amount=Decimal("42.50"), source="api",
    )  # fmt: skip
    assert (repeat.created, repeat.points, repeat.balance) == (False, 42, first.balance)
    assert again.committed_events == []
    with pytest.raises(OrderConflict):
        _buy(ctx, CustomerRef(customer_id="C9"), "T-1", "10")


def test_partial_refunds_take_back_points_in_proportion(ctx: AppContext) -> None:
    _buy(ctx, CustomerRef(customer_id="C1"), "T-2", "100")
    refund = lambda amount, key=None: record_live_refund(  # noqa: E731
        ctx.uow(), ctx.clock, order_id="T-2", amount=amount, refund_key=key, source="api"
    )
    first = refund(Decimal("33.50"), "r1")
    assert (first.refund.points_reversed, first.balance.spendable) == (34, 66)
    assert refund(Decimal("33.50"), "r1").refund.created is False
    with pytest.raises(RefundTooLarge):
        refund(Decimal("70"))
    rest = refund(None)
    assert (rest.refund.points_reversed, rest.balance.spendable) == (66, 0)
    assert rest.refund.purchase.refunded_at is not None
    with pytest.raises(AlreadyDone):
        refund(Decimal("1"))


def test_a_live_purchase_earns_at_the_tier_its_customer_reached_within_the_window(
    ctx: AppContext, clock: ManualClock
) -> None:
    who = CustomerRef(customer_id="C1")
    assert _buy(ctx, who, "A-1", "600").points == 600  # Member: ×1
    assert _buy(ctx, who, "A-2", "100").points == 125  # Silver after 500 earned: ×1.25
    clock.advance(timedelta(days=366))  # the first two purchases leave the rolling year
    assert _buy(ctx, who, "A-3", "100").points == 100
    done = _buy(ctx, who, "A-4", "100")
    assert done.points == 100 and done.balance.spendable == 200  # the first year's points expired


def test_on_the_spend_basis_the_purchase_itself_counts_towards_its_tier(ctx: AppContext) -> None:
    ctx.rules = BusinessRules(tiers=TierRules(basis="spend"))
    assert _buy(ctx, CustomerRef(customer_id="C1"), "S-1", "600").points == 750  # 600 spent: Silver
