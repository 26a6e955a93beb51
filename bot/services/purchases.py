"""Recording purchases (with the points they earn) and refunding them (reversing those points)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.audit import record_audit
from bot.services.errors import AlreadyDone, InvalidInput, OrderNotFound
from bot.services.ledger import balance_at
from bot.services.loyalty import credit_points, debit_points, lock_customer, points_for_amount, tier_status
from storage import repositories as repo
from storage.models import PointsEntry, Purchase
from storage.uow import UnitOfWork

_REFUND_TRIES = 3
"""Attempts when merges keep moving the order to another customer while the refund waits."""


@dataclass(frozen=True)
class RecordedPurchase:
    purchase: Purchase
    points: int
    created: bool
    """False when the order id was already recorded (a replay): nothing changed."""


@dataclass(frozen=True)
class Refund:
    purchase: Purchase
    points_reversed: int
    points_not_recoverable: int
    """Points of the purchase already spent: the balance never goes below zero, so these stay spent."""


def new_order_id() -> str:
    return "ord-" + secrets.token_hex(5)


def record_purchase(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    *,
    customer_id: int,
    amount: Decimal,
    purchased_on: date | None = None,
    order_id: str | None = None,
    currency: str | None = None,
    quantity: int | None = None,
    note: str = "",
    source: str = "slack",
    actor: str = "system",
    award_points: bool = True,
) -> RecordedPurchase:
    """Store a purchase once per order id and credit its points (tier multiplier applied)."""
    if amount < 0:
        raise InvalidInput("an amount cannot be negative (refunds go through /crm refund)")
    order_id = order_id or new_order_id()
    now = clock.now()
    with uow:
        existing = repo.purchase_by_order_id(uow.session, order_id)
        if existing is not None:
            return RecordedPurchase(existing, 0, created=False)
        lock_customer(uow, customer_id)
        purchase = Purchase(
            customer_id=customer_id,
            order_id=order_id,
            purchased_on=purchased_on or now.astimezone(tz).date(),
            amount=amount,
            currency=currency,
            quantity=quantity,
            note=note,
            source=source,
            created_at=now,
        )
        uow.session.add(purchase)
        uow.flush()
        points = 0
        if award_points:
            multiplier = tier_status(uow, clock, rules, customer_id, tz).tier.multiplier
            points = points_for_amount(amount, rules, multiplier)
            if points > 0:
                credit_points(
                    uow,
                    clock,
                    rules,
                    customer_id=customer_id,
                    points=points,
                    kind="earn",
                    reason=f"purchase {order_id}",
                    actor=actor,
                    idempotency_key=f"earn:{order_id}",
                    purchase_id=purchase.id,
                )
        return RecordedPurchase(purchase, points, created=True)


def refund_purchase(uow: UnitOfWork, clock: Clock, *, order_id: str, actor: str) -> Refund:
    """Mark the order refunded and take back its points (as many as are still there)."""
    now = clock.now()
    with uow:
        purchase, customer_id = _claim_refund(uow, order_id, now)
        earned = uow.session.exec(
            select(PointsEntry).where(PointsEntry.purchase_id == purchase.id, PointsEntry.kind == "earn")
        ).first()
        reversed_points = shortfall = 0
        if earned is not None:
            balance = balance_at(repo.ledger_of(uow.session, customer_id), now)
            reversed_points = min(earned.delta, balance.spendable + balance.pending)
            shortfall = earned.delta - reversed_points
            if reversed_points > 0:
                debit_points(
                    uow,
                    clock,
                    customer_id=customer_id,
                    points=reversed_points,
                    kind="refund",
                    reason=f"refund of {order_id}",
                    actor=actor,
                    idempotency_key=f"refund:{order_id}",
                    lot_id=earned.id,
                    purchase_id=purchase.id,
                )
        record_audit(
            uow,
            actor=actor,
            action="purchase.refund",
            at=now,
            customer_id=customer_id,
            order_id=order_id,
            amount=str(purchase.amount),
            points_reversed=reversed_points,
            points_not_recoverable=shortfall,
        )
        return Refund(purchase, reversed_points, shortfall)


def _claim_refund(uow: UnitOfWork, order_id: str, now: datetime) -> tuple[Purchase, int]:
    """Lock the order's customer, then mark the order refunded with one conditional UPDATE; the
    purchase (as it is now) and its customer's id.

    The check and the mark are one statement under the customer's lock: a second refund that read
    the order before the first committed finds no unrefunded row (PostgreSQL re-evaluates the WHERE
    on the committed row) and is refused. A merge that moved the order to another customer while
    we waited makes the customer condition fail, and the loop locks the new owner instead.
    """
    for _ in range(_REFUND_TRIES):
        purchase = repo.purchase_by_order_id(uow.session, order_id)
        if purchase is None:
            raise OrderNotFound(order_id)
        if purchase.refunded_at is not None:
            raise AlreadyDone(f"order {order_id} was already refunded")
        customer_id = purchase.customer_id
        lock_customer(uow, customer_id)
        claimed = uow.session.execute(
            update(Purchase)
            .where(
                col(Purchase.id) == purchase.id,
                col(Purchase.customer_id) == customer_id,
                col(Purchase.refunded_at).is_(None),
            )
            .values(refunded_at=now)
            .execution_options(synchronize_session=False)
        )
        uow.session.expire(purchase)  # read again below: what the UPDATE (or another refund) left
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            uow.session.refresh(purchase)
            return purchase, customer_id
    raise InvalidInput(f"order {order_id} kept moving to another customer while it was refunded; try again")
