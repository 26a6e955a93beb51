"""Two customers' taps at the same moment: really concurrent, on a real PostgreSQL server."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.services.errors import NotEnoughPoints
from bot.services.loyalty import current_balance
from bot.services.rewards import RedemptionResult, redeem
from storage.models import Redemption
from tests.conftest import make_context
from tests.services.helpers import buy, new_customer


def _race(
    ctx: AppContext, customer_id: int, attempts: int, round_: int = 0
) -> list[RedemptionResult | Exception]:
    barrier = threading.Barrier(attempts)

    def attempt(n: int) -> RedemptionResult | Exception:
        barrier.wait()
        try:
            return redeem(
                ctx.uow(),
                ctx.clock,
                ctx.rules,
                customer_id=customer_id,
                reward_code="five_off",
                request_key=f"tap-{round_}-{n}",
            )
        except NotEnoughPoints as exc:
            return exc

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        return list(pool.map(attempt, range(attempts)))


@pytest.mark.postgres
def test_two_concurrent_redemptions_of_the_last_affordable_reward_give_one_coupon(
    postgres_url: str, clock: ManualClock
) -> None:
    ctx = make_context(postgres_url, clock)
    ann = new_customer(ctx)
    buy(ctx, ann, "150")  # enough for one "5 off" (100), not two
    assert ann.id is not None
    for round_ in range(5):  # several rounds: a race that only sometimes overlaps must still never win twice
        if round_:
            buy(ctx, ann, "100", order_id=f"top-up-{round_}")
        outcomes = _race(ctx, ann.id, attempts=2, round_=round_)
        winners = [o for o in outcomes if isinstance(o, RedemptionResult)]
        assert len(winners) == 1, outcomes
        assert sum(isinstance(o, NotEnoughPoints) for o in outcomes) == 1
        assert current_balance(ctx.uow(), ctx.clock, ann.id).spendable == 50
    uow = ctx.uow()
    with uow:
        coupons = uow.session.exec(select(Redemption).where(Redemption.status == "confirmed")).all()
    assert len(coupons) == 5 and len({c.coupon_code for c in coupons}) == 5
    ctx.close()


def test_concurrent_redemptions_on_sqlite_never_overdraw(sqlite_url: str, clock: ManualClock) -> None:
    ctx = make_context(sqlite_url, clock)
    ann = new_customer(ctx)
    buy(ctx, ann, "350")
    assert ann.id is not None
    outcomes = _race(ctx, ann.id, attempts=4)
    assert sum(isinstance(o, RedemptionResult) for o in outcomes) == 3
    assert current_balance(ctx.uow(), ctx.clock, ann.id).spendable == 50
    ctx.close()
