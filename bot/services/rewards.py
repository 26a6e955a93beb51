"""The reward catalogue and redemptions: ask, confirm, get a coupon (services/coupons.py); never overdraws."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo

from sqlmodel import select

from bot.clock import Clock
from bot.config.rules import BusinessRules, RewardRule
from bot.services.coupons import issue_reward_coupon, new_coupon_code
from bot.services.errors import AlreadyDone, InvalidInput, NotEnoughPoints, UnknownReward
from bot.services.loyalty import current_balance, debit_points, lock_customer
from storage.models import Coupon, Redemption, Reward
from storage.uow import UnitOfWork
from storage.upsert import insert_ignore


@dataclass(frozen=True)
class RedemptionResult:
    redemption: Redemption
    reward: RewardRule
    newly_confirmed: bool
    coupon: Coupon | None
    """The coupon it gave (None only for a redemption confirmed before coupons had rows)."""


def sync_catalogue(uow: UnitOfWork, rules: BusinessRules) -> None:
    """Mirror the configured rewards into the table; rewards no longer configured become inactive.

    Rows are inserted with ON CONFLICT DO NOTHING first, so two processes syncing at once cannot collide.
    """
    with uow:
        insert_ignore(
            uow.session,
            Reward,
            [{"code": r.code, "name": r.name, "cost": r.cost, "active": True} for r in rules.rewards],
        )
        configured = {rule.code: rule for rule in rules.rewards}
        for row in uow.session.exec(select(Reward)).all():
            rule = configured.get(row.code)
            wanted = (rule.name, rule.cost, True) if rule else (row.name, row.cost, False)
            if (row.name, row.cost, row.active) != wanted:
                row.name, row.cost, row.active = wanted
                uow.session.add(row)


def request_redemption(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    reward_code: str,
    request_key: str,
) -> Redemption:
    """Start a redemption that waits for the customer's confirmation (a replayed request returns the same)."""
    reward = rules.reward(reward_code)
    if reward is None:
        raise UnknownReward(reward_code)
    with uow:
        lock_customer(uow, customer_id)
        existing = uow.session.exec(select(Redemption).where(Redemption.request_key == request_key)).first()
        if existing is not None:
            return existing
        if uow.session.get(Reward, reward.code) is None:
            sync_catalogue(uow, rules)
        available = current_balance(uow, clock, customer_id).spendable
        if available < reward.cost:
            raise NotEnoughPoints(reward.cost, available)
        redemption = Redemption(
            customer_id=customer_id,
            reward_code=reward.code,
            cost=reward.cost,
            status="pending",
            request_key=request_key,
            created_at=clock.now(),
        )
        uow.session.add(redemption)
        uow.flush()
        return redemption


def confirm_redemption(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    redemption_id: int,
    tz: tzinfo = UTC,
) -> RedemptionResult:
    """Deduct the points and issue the coupon, atomically; a second confirmation changes nothing.

    `tz` (TIMEZONE) decides the local day the coupon's validity ends on."""
    with uow:
        lock_customer(uow, customer_id)
        redemption = uow.session.exec(
            select(Redemption).where(Redemption.id == redemption_id, Redemption.customer_id == customer_id)
        ).first()
        if redemption is None:
            raise InvalidInput("that redemption does not exist")
        reward = rules.reward(redemption.reward_code)
        if reward is None:
            raise UnknownReward(redemption.reward_code)
        if redemption.status == "confirmed":
            coupon = uow.session.exec(select(Coupon).where(Coupon.redemption_id == redemption.id)).first()
            return RedemptionResult(redemption, reward, newly_confirmed=False, coupon=coupon)
        if redemption.status != "pending":
            raise AlreadyDone("that redemption was cancelled")
        available = current_balance(uow, clock, customer_id).spendable
        if available < redemption.cost:
            raise NotEnoughPoints(redemption.cost, available)
        debit_points(
            uow,
            clock,
            customer_id=customer_id,
            points=redemption.cost,
            kind="redeem",
            reason=f"reward {reward.code}",
            actor="customer",
            idempotency_key=f"redeem:{redemption.id}",
        )
        redemption.status = "confirmed"
        redemption.coupon_code = new_coupon_code()
        redemption.confirmed_at = clock.now()
        uow.session.add(redemption)
        uow.flush()
        coupon = issue_reward_coupon(uow, clock, rules, tz, redemption=redemption, reward=reward)
        return RedemptionResult(redemption, reward, newly_confirmed=True, coupon=coupon)


def cancel_redemption(uow: UnitOfWork, *, customer_id: int, redemption_id: int) -> Redemption:
    with uow:
        redemption = uow.session.exec(
            select(Redemption).where(Redemption.id == redemption_id, Redemption.customer_id == customer_id)
        ).first()
        if redemption is None:
            raise InvalidInput("that redemption does not exist")
        if redemption.status == "pending":
            redemption.status = "cancelled"
            uow.session.add(redemption)
        return redemption


def redeem(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    reward_code: str,
    request_key: str,
    tz: tzinfo = UTC,
) -> RedemptionResult:
    """Request and confirm in one step (CLI, staff, tests of concurrency)."""
    with uow:
        redemption = request_redemption(
            uow, clock, rules, customer_id=customer_id, reward_code=reward_code, request_key=request_key
        )
        assert redemption.id is not None
        return confirm_redemption(
            uow, clock, rules, customer_id=customer_id, redemption_id=redemption.id, tz=tz
        )
