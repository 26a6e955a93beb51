"""Coupons (SPEC §9): issued with a code and an expiry, found however a person types the code,
used exactly once (also by several requests at the same moment, on SQLite and PostgreSQL),
refused with the reason when used, void, expired or unknown, and voided only by an admin."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.jobs.automations import open_offers
from bot.services import winback
from bot.services.authorization import RoleRequired
from bot.services.coupons import (
    CouponResult,
    expiry_after,
    last_valid_day,
    lookup_coupon,
    normalize_code,
    open_coupons,
    redeem_coupon,
    void_coupon,
)
from bot.services.merge import merge_customers
from bot.services.rewards import redeem
from storage.db import create_db_engine
from storage.models import AuditLog, Coupon
from storage.schema import alembic_config, upgrade
from tests.conftest import make_context
from tests.services.helpers import buy, new_customer

BERLIN = ZoneInfo("Europe/Berlin")


def reward_coupon(ctx: AppContext, external_id: str = "C1", key: str = "r1") -> str:
    """A customer who redeemed "5 off": the coupon's code."""
    customer = new_customer(ctx, external_id, name="Ann Lee")
    buy(ctx, customer, "150", order_id=f"o-{external_id}")
    assert customer.id is not None
    result = redeem(
        ctx.uow(), ctx.clock, ctx.rules, customer_id=customer.id, reward_code="five_off", request_key=key
    )
    assert result.coupon is not None and result.coupon.code == result.redemption.coupon_code
    return result.coupon.code


def audits(ctx: AppContext, action: str) -> list[AuditLog]:
    with ctx.uow() as uow:
        return list(uow.session.exec(select(AuditLog).where(AuditLog.action == action)).all())


def test_codes_typed_by_people_find_the_coupon() -> None:
    assert normalize_code("abcd-efgh-jk23") == "ABCD-EFGH-JK23"
    assert normalize_code(" ABCD EFGH JK23 ") == "ABCD-EFGH-JK23"
    assert normalize_code("abcdefghjk23") == "ABCD-EFGH-JK23"
    assert (
        normalize_code("ＡＢＣＤ－ＥＦＧＨ－ＪＫ２３") == "ABCD-EFGH-JK23"
    )  # full-width, as a CJK keyboard types
    assert normalize_code("ABCD—EFGH–JK23") == "ABCD-EFGH-JK23"  # em and en dashes
    assert normalize_code("ABCD\u3000EFGH\u3000JK23") == "ABCD-EFGH-JK23"  # ideographic spaces
    for wrong in ("", "ABCD-EFGH", "ABCD-EFGH-JK23-X", "ABCD-EFGH-JK2é", "优惠券优惠券优惠券优惠券"):
        assert normalize_code(wrong) is None, wrong


def test_a_coupon_is_valid_through_the_whole_local_day_its_validity_ends_on() -> None:
    issued = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 23:30 in Berlin, 2 March
    expires = expiry_after(issued, 30, BERLIN)
    assert expires == datetime(2026, 4, 2, 0, 0, tzinfo=BERLIN)  # midnight after 1 April (DST on the way)
    assert last_valid_day(expires, BERLIN) == date(2026, 4, 1)


def test_a_redeemed_reward_gives_a_coupon_that_is_used_once_and_audited(
    ctx: AppContext, clock: ManualClock
) -> None:
    code = reward_coupon(ctx)

    looked = lookup_coupon(ctx.uow(), ctx.clock, code.lower().replace("-", " "), actor="slack:U1")
    assert looked.ok and looked.coupon is not None and looked.coupon.state == "issued"
    assert (looked.coupon.customer_external_id, looked.coupon.customer_name) == ("C1", "Ann Lee")
    assert looked.coupon.title.for_language("zh-Hant") == "下次消費折抵 5 元"
    assert last_valid_day(looked.coupon.expires_at, UTC) == date(2026, 4, 1)  # 30 days after 2 March

    clock.advance(timedelta(hours=2))
    used = redeem_coupon(ctx.uow(), ctx.clock, code, actor="slack:U1")
    again = redeem_coupon(ctx.uow(), ctx.clock, code, actor="api:till-2")

    assert used.done and used.ok and used.coupon is not None and used.coupon.state == "used"
    assert not again.done and again.refusal == "used" and again.coupon is not None
    assert (again.coupon.used_by, again.coupon.used_at) == ("slack:U1", clock.now())
    assert [a.actor for a in audits(ctx, "coupon.use")] == ["slack:U1"]
    assert json.loads(audits(ctx, "coupon.check")[0].detail) == {"code": code}
    assert open_coupons(ctx.uow(), ctx.clock, looked.coupon.customer_id) == []


def test_an_expired_coupon_is_refused_with_its_last_day_and_stays_unused(
    ctx: AppContext, clock: ManualClock
) -> None:
    code = reward_coupon(ctx)
    clock.advance(timedelta(days=30, hours=11, minutes=59))  # 23:59 UTC on 1 April: still good
    assert lookup_coupon(ctx.uow(), ctx.clock, code).ok
    clock.advance(timedelta(minutes=1))  # midnight: expired

    refused = redeem_coupon(ctx.uow(), ctx.clock, code, actor="slack:U1")

    assert not refused.done and refused.refusal == "expired" and refused.coupon is not None
    assert last_valid_day(refused.coupon.expires_at, UTC) == date(2026, 4, 1)
    with ctx.uow() as uow:
        row = uow.session.exec(select(Coupon)).one()
    assert (row.state, row.used_at, row.used_by) == ("issued", None, None)
    assert audits(ctx, "coupon.use") == []


def test_only_an_admin_voids_and_a_void_coupon_is_refused(ctx: AppContext) -> None:
    code = reward_coupon(ctx)

    with pytest.raises(RoleRequired):
        void_coupon(ctx.uow(), ctx.clock, code, actor="slack:U2", actor_role="staff")
    assert lookup_coupon(ctx.uow(), ctx.clock, code).ok
    voided = void_coupon(ctx.uow(), ctx.clock, code, actor="slack:BOSS", actor_role="admin")
    refused = redeem_coupon(ctx.uow(), ctx.clock, code, actor="slack:U2")

    assert voided.done and voided.coupon is not None and voided.coupon.state == "void"
    assert refused.refusal == "void" and refused.coupon is not None
    assert refused.coupon.voided_by == "slack:BOSS"
    assert [a.actor for a in audits(ctx, "coupon.void")] == ["slack:BOSS"]


def test_an_unknown_code_is_refused_as_unknown(ctx: AppContext) -> None:
    reward_coupon(ctx)
    for typed in ("ZZZZ-ZZZZ-ZZZZ", "not a code", ""):
        result = redeem_coupon(ctx.uow(), ctx.clock, typed, actor="slack:U1")
        assert result == CouponResult(typed.strip(), None, refusal="unknown_code")


def _race(ctx: AppContext, code: str, attempts: int) -> list[CouponResult]:
    barrier = threading.Barrier(attempts)

    def attempt(n: int) -> CouponResult:
        barrier.wait()
        return redeem_coupon(ctx.uow(), ctx.clock, code, actor=f"api:till-{n}")

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return list(pool.map(attempt, range(attempts)))


@pytest.mark.postgres
def test_a_coupon_redeemed_by_several_tills_at_once_is_used_once_on_postgres(
    postgres_url: str, clock: ManualClock
) -> None:
    ctx = make_context(postgres_url, clock)
    try:
        for round_ in range(5):  # several rounds: a race that only sometimes overlaps must never win twice
            code = reward_coupon(ctx, f"C{round_}", key=f"r{round_}")
            outcomes = _race(ctx, code, attempts=4)
            winners = [o for o in outcomes if o.done]
            assert len(winners) == 1, outcomes
            assert {o.refusal for o in outcomes if not o.done} == {"used"}
            assert {o.coupon.used_by for o in outcomes if o.coupon} == {winners[0].coupon.used_by}  # type: ignore[union-attr]
        assert len(audits(ctx, "coupon.use")) == 5
    finally:
        ctx.close()


def test_a_coupon_redeemed_by_several_tills_at_once_is_used_once_on_sqlite(
    sqlite_url: str, clock: ManualClock
) -> None:
    ctx = make_context(sqlite_url, clock)
    try:
        code = reward_coupon(ctx)
        outcomes = _race(ctx, code, attempts=4)
        assert sum(o.done for o in outcomes) == 1
        assert len(audits(ctx, "coupon.use")) == 1
    finally:
        ctx.close()


def test_each_winback_offer_gets_one_coupon_and_an_undelivered_offer_voids_it(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann, bob = new_customer(ctx, "A"), new_customer(ctx, "B")
    ids = [c.id for c in (ann, bob) if c.id is not None]
    winback.queue_offers(ctx.uow(), ctx.clock, ctx.rules, customer_ids=ids, episode="2026-03-02")

    first = open_offers(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz)
    clock.advance(timedelta(hours=1))
    again = open_offers(ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz)

    assert [o.code for o in again] == [o.code for o in first] and len({o.code for o in first}) == 2
    by_customer = {o.offer.customer_id: o for o in first}
    ann_offer, bob_offer = by_customer[ann.id], by_customer[bob.id]
    assert last_valid_day(ann_offer.expires_at, UTC) == date(2026, 4, 1)
    checked = lookup_coupon(ctx.uow(), ctx.clock, ann_offer.code)
    assert checked.ok and checked.coupon is not None and checked.coupon.kind == "winback"
    assert checked.coupon.item == ann_offer.offer.variant
    assert ann_offer.offer.id is not None and bob_offer.offer.id is not None
    winback.mark_offer(ctx.uow(), ctx.clock, offer_id=ann_offer.offer.id, sent=True)
    winback.mark_offer(ctx.uow(), ctx.clock, offer_id=bob_offer.offer.id, sent=False)

    assert lookup_coupon(ctx.uow(), ctx.clock, ann_offer.code).ok
    refused = redeem_coupon(ctx.uow(), ctx.clock, bob_offer.code, actor="slack:U1")
    assert refused.refusal == "void" and refused.coupon is not None
    assert refused.coupon.voided_by == "system"


def test_merging_moves_the_duplicates_coupons(ctx: AppContext) -> None:
    code = reward_coupon(ctx, "C2")
    keep = new_customer(ctx, "C1", name="Ann")
    duplicate = lookup_coupon(ctx.uow(), ctx.clock, code).coupon
    assert keep.id is not None and duplicate is not None

    merge_customers(ctx.uow(), ctx.clock, keep_id=keep.id, duplicate_id=duplicate.customer_id, actor="t")

    moved = lookup_coupon(ctx.uow(), ctx.clock, code).coupon
    assert moved is not None and moved.customer_external_id == "C1"
    assert [c.code for c in open_coupons(ctx.uow(), ctx.clock, keep.id)] == [code]


def test_coupons_handed_out_before_the_upgrade_become_issued_coupons(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_db_engine(url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004r")  # the schema before coupons had rows
    then = "2026-03-01 10:00:00.000000"
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customer (external_id, name, tags, allows_promotions, unreachable,"
                " created_at, updated_at) VALUES ('C1', 'Ann', '', 1, 0, :then, :then)"
            ),
            {"then": then},
        )
        connection.execute(
            text("INSERT INTO reward (code, name, cost, active) VALUES ('five_off', '5 off', 100, 1)")
        )
        connection.execute(
            text(
                "INSERT INTO redemption (customer_id, reward_code, cost, status, coupon_code, request_key,"
                " created_at, confirmed_at) VALUES (1, 'five_off', 100, 'confirmed', 'ABCD-EFGH-JK23',"
                " 'r1', :then, :then)"
            ),
            {"then": then},
        )
    upgrade(engine)
    engine.dispose()
    clock = ManualClock(datetime.now(UTC))
    ctx = make_context(url, clock)
    try:
        found = lookup_coupon(ctx.uow(), clock, "abcd efgh jk23")
        assert found.ok and found.coupon is not None and found.coupon.title.default == "5 off"
        assert found.coupon.expires_at > clock.now() + timedelta(days=30)  # not cut short by the upgrade
        assert redeem_coupon(ctx.uow(), clock, "ABCD-EFGH-JK23", actor="slack:U1").done
    finally:
        ctx.close()
