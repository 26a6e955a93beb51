"""Rewards from the customer's side of the chat: the catalogue, asking to redeem, confirming, cancelling.

Each catalogue message redeems a reward at most once (its request key names the message), so a
second tap on the same button, a replayed update or a tap on an old message changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo

from sqlmodel import select

from bot.clock import Clock
from bot.config.rules import BusinessRules, RewardRule
from bot.services.coupons import CouponView, last_valid_day, open_coupons
from bot.services.customer_points import spendable_points
from bot.services.errors import AlreadyDone, NotEnoughPoints, UnknownReward
from bot.services.loyalty import current_balance
from bot.services.rewards import cancel_redemption, confirm_redemption, request_redemption
from storage.models import Redemption
from storage.uow import UnitOfWork


class RewardUnaffordable(NotEnoughPoints):
    """Not enough points for this reward (now): says which, so the notice can name it."""

    def __init__(self, reward: RewardRule, needed: int, available: int) -> None:
        super().__init__(needed, available)
        self.reward = reward


@dataclass(frozen=True)
class Catalogue:
    balance: int
    rewards: tuple[RewardRule, ...]
    coupons: tuple[CouponView, ...] = ()
    """The customer's coupons that can still be used."""


@dataclass(frozen=True)
class RedeemAsk:
    redemption_id: int
    reward: RewardRule
    balance_after: int
    fresh: bool
    """False when this button already asked (a double tap): the confirmation is on its way."""


@dataclass(frozen=True)
class Redeemed:
    reward: RewardRule
    coupon_code: str
    valid_until: date
    """The last local day the coupon can be used."""
    balance: int


def reward_catalogue(uow: UnitOfWork, clock: Clock, rules: BusinessRules, *, customer_id: int) -> Catalogue:
    with uow.reading():
        return Catalogue(
            spendable_points(uow, clock, customer_id),
            rules.rewards,
            tuple(open_coupons(uow, clock, customer_id)),
        )


def ask_to_redeem(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    reward_code: str,
    request_key: str,
) -> RedeemAsk:
    """A Redeem tap: a pending redemption awaiting confirmation (RewardUnaffordable if it is not, now)."""
    with uow:
        existing = uow.session.exec(select(Redemption).where(Redemption.request_key == request_key)).first()
        if existing is not None and existing.status != "pending":
            raise AlreadyDone("this button was used already")
        try:
            redemption = existing or request_redemption(
                uow, clock, rules, customer_id=customer_id, reward_code=reward_code, request_key=request_key
            )
        except NotEnoughPoints as short:
            reward = rules.reward(reward_code)
            assert reward is not None  # request_redemption checked it
            raise RewardUnaffordable(reward, short.needed, short.available) from short
        if redemption.customer_id != customer_id:
            raise AlreadyDone("this button is not yours")
        reward = rules.reward(redemption.reward_code)
        if reward is None:
            raise UnknownReward(redemption.reward_code)
        assert redemption.id is not None
        balance = current_balance(uow, clock, customer_id).spendable
        return RedeemAsk(redemption.id, reward, balance - redemption.cost, fresh=existing is None)


def confirm(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: tzinfo,
    *,
    customer_id: int,
    redemption_id: int,
) -> Redeemed:
    """Deduct and issue the coupon; a second confirmation (double tap, replay) raises AlreadyDone."""
    with uow:
        redemption = uow.session.get(Redemption, redemption_id)
        try:
            result = confirm_redemption(
                uow, clock, rules, customer_id=customer_id, redemption_id=redemption_id, tz=tz
            )
        except NotEnoughPoints as short:
            reward = rules.reward(redemption.reward_code) if redemption else None
            if reward is None:
                raise
            raise RewardUnaffordable(reward, short.needed, short.available) from short
        if not result.newly_confirmed or result.coupon is None:
            raise AlreadyDone("this redemption was confirmed already")
        balance = current_balance(uow, clock, customer_id).spendable
        coupon = result.coupon
        return Redeemed(result.reward, coupon.code, last_valid_day(coupon.expires_at, tz), balance)


def cancel(uow: UnitOfWork, *, customer_id: int, redemption_id: int) -> None:
    """Drop a redemption that waits for confirmation; one already confirmed raises AlreadyDone."""
    with uow:
        redemption = cancel_redemption(uow, customer_id=customer_id, redemption_id=redemption_id)
        if redemption.status != "cancelled":
            raise AlreadyDone("this redemption was confirmed already")
