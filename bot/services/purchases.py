"""Recording purchases (with the points they earn) and refunding them (reversing those points)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.audit import record_audit
from bot.services.errors import AlreadyDone, InvalidInput, OrderNotFound, RefundTooLarge
from bot.services.ledger import balance_at
from bot.services.loyalty import credit_points, debit_points, lock_customer, points_for_amount, tier_status
from storage import repositories as repo
from storage.models import PointsEntry, Purchase
from storage.models import Refund as RefundRow
from storage.uow import UnitOfWork

_REFUND_TRIES = 3
"""Attempts when merges keep moving the order to another customer while the refund waits."""


@dataclass(frozen=True)
class RecordedPurchase:
    purchase: Purchase
    points: int
    created: bool
    """False when the order id was already recorded (a replay): nothing changed."""
    earned: PointsEntry | None = None
    """The points entry it created (None without points, or for a replay)."""


@dataclass(frozen=True)
class Refund:
    purchase: Purchase
    points_reversed: int
    points_not_recoverable: int
    """Points of the purchase already spent: the balance never goes below zero, so these stay spent."""
    amount: Decimal = Decimal(0)
    """The amount this refund gave back."""
    row: RefundRow | None = None
    created: bool = True
    """False when the refund key was seen before (a replay): nothing changed."""


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
    with uow:
        existing = repo.purchase_by_order_id(uow.session, order_id)
        if existing is not None:
            return RecordedPurchase(existing, 0, created=False)
        lock_customer(uow, customer_id)
        return add_purchase(
            uow,
            clock,
            rules,
            tz,
            customer_id=customer_id,
            amount=amount,
            purchased_on=purchased_on,
            order_id=order_id,
            currency=currency,
            quantity=quantity,
            note=note,
            source=source,
            actor=actor,
            award_points=award_points,
        )


def add_purchase(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    *,
    customer_id: int,
    amount: Decimal,
    order_id: str,
    purchased_on: date | None = None,
    currency: str | None = None,
    quantity: int | None = None,
    note: str = "",
    source: str = "slack",
    actor: str = "system",
    award_points: bool = True,
    ledger: Sequence[PointsEntry] | None = None,
) -> RecordedPurchase:
    """`record_purchase` for a caller that checked the order id is new and holds the customer's
    lock: insert the purchase and credit its points. `ledger`: the customer's points entries as
    read under that lock, if the caller has them (the tier is then counted from them, not queried)."""
    now = clock.now()
    with uow:
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
            multiplier = tier_status(uow, clock, rules, customer_id, tz, ledger=ledger).tier.multiplier
            points = points_for_amount(amount, rules, multiplier)
        earned = None
        if points > 0:
            earned, _ = credit_points(
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
        return RecordedPurchase(purchase, points, created=True, earned=earned)


def refund_purchase(uow: UnitOfWork, clock: Clock, *, order_id: str, actor: str) -> Refund:
    """Refund what is left of the order and take back its points (as many as are still there)."""
    return refund_order(uow, clock, order_id=order_id, actor=actor)


def refund_order(
    uow: UnitOfWork,
    clock: Clock,
    *,
    order_id: str,
    actor: str,
    amount: Decimal | None = None,
    refund_key: str | None = None,
    source: str = "slack",
) -> Refund:
    """Refund `amount` of the order (None: all that is not refunded yet), once per `refund_key`.

    Points go back in proportion: after the refund the customer keeps what the amount still kept
    would earn (rounded down, as earning is), so partial refunds adding up to the whole order take
    back exactly what it earned. Points already spent cannot be taken back (the balance never goes
    below zero): those are counted as not recoverable. A `refund_key` seen before returns that
    refund unchanged (`created` False); without one a full refund is keyed by the order and a second
    one is refused, and each partial refund is a new refund.
    """
    if amount is not None and amount <= 0:
        raise InvalidInput("a refund amount must be more than 0")
    now = clock.now()
    with uow:
        purchase, customer_id, refund = _claim_refund(uow, order_id, amount, refund_key, now, source, actor)
        if not refund.created:
            return refund
        assert refund.row is not None and refund.row.id is not None
        earned = uow.session.exec(
            select(PointsEntry).where(PointsEntry.purchase_id == purchase.id, PointsEntry.kind == "earn")
        ).first()
        reversed_points = shortfall = 0
        if earned is not None:
            due = _points_due_back(uow, purchase, earned.delta, refund.row.id)
            balance = balance_at(repo.ledger_of(uow.session, customer_id), now)
            reversed_points = max(0, min(due, balance.spendable + balance.pending))
            shortfall = due - reversed_points
            if reversed_points > 0:
                debit_points(
                    uow,
                    clock,
                    customer_id=customer_id,
                    points=reversed_points,
                    kind="refund",
                    reason=f"refund of {order_id}",
                    actor=actor,
                    idempotency_key=f"refund#{refund.row.id}",
                    lot_id=earned.id,
                    purchase_id=purchase.id,
                )
        refund.row.points_reversed = reversed_points
        refund.row.points_not_recoverable = shortfall
        uow.session.add(refund.row)
        record_audit(
            uow,
            actor=actor,
            action="purchase.refund",
            at=now,
            customer_id=customer_id,
            order_id=order_id,
            amount=str(purchase.amount),
            refunded=str(refund.amount),
            points_reversed=reversed_points,
            points_not_recoverable=shortfall,
        )
        uow.flush()
        return Refund(purchase, reversed_points, shortfall, refund.amount, refund.row)


def _points_due_back(uow: UnitOfWork, purchase: Purchase, earned: int, this_refund_id: int) -> int:
    """Points this refund takes back: what the purchase earned minus what the amount still kept
    would earn, less what earlier refunds of it took back (or found spent)."""
    if purchase.amount > 0:
        kept = int(
            (earned * (purchase.amount - purchase.refunded_amount) / purchase.amount).to_integral_value(
                ROUND_FLOOR
            )
        )
    else:
        kept = 0
    earlier = uow.session.exec(
        select(RefundRow).where(RefundRow.purchase_id == purchase.id, col(RefundRow.id) != this_refund_id)
    ).all()
    accounted = sum(r.points_reversed + r.points_not_recoverable for r in earlier)
    return max(0, earned - kept - accounted)


def _claim_refund(
    uow: UnitOfWork,
    order_id: str,
    amount: Decimal | None,
    refund_key: str | None,
    now: datetime,
    source: str,
    actor: str,
) -> tuple[Purchase, int, Refund]:
    """Lock the order's customer, then add the refund to the order with one conditional UPDATE and
    record it; the purchase (as it is now), its customer's id, and the refund (or the earlier one
    with the same key).

    The check and the mark are one statement under the customer's lock: a second refund that read
    the order before the first committed finds the amounts changed (PostgreSQL re-evaluates the
    WHERE on the committed row) and is refused. A merge that moved the order to another customer
    while we waited makes the customer condition fail, and the loop locks the new owner instead.
    """
    key = refund_key or (f"{order_id}:full" if amount is None else f"{order_id}:{secrets.token_hex(8)}")
    for _ in range(_REFUND_TRIES):
        purchase = repo.purchase_by_order_id(uow.session, order_id)
        if purchase is None:
            raise OrderNotFound(order_id)
        customer_id = purchase.customer_id
        lock_customer(uow, customer_id)
        earlier = uow.session.exec(select(RefundRow).where(RefundRow.refund_key == key)).first()
        if earlier is not None and refund_key is not None:
            if earlier.purchase_id != purchase.id:
                raise AlreadyDone(f"refund id {refund_key!r} was already used for another order")
            uow.session.refresh(purchase)
            return (
                purchase,
                customer_id,
                Refund(
                    purchase,
                    earlier.points_reversed,
                    earlier.points_not_recoverable,
                    earlier.amount,
                    earlier,
                    False,
                ),
            )
        uow.session.refresh(purchase)
        if purchase.refunded_at is not None or earlier is not None:
            raise AlreadyDone(f"order {order_id} was already refunded")
        left = purchase.amount - purchase.refunded_amount
        this = left if amount is None else amount
        if this > left:
            raise RefundTooLarge(order_id, this, left)
        refunded = purchase.refunded_amount + this
        claimed = uow.session.execute(
            update(Purchase)
            .where(
                col(Purchase.id) == purchase.id,
                col(Purchase.customer_id) == customer_id,
                col(Purchase.refunded_at).is_(None),
                col(Purchase.refunded_amount) == purchase.refunded_amount,
            )
            .values(refunded_amount=refunded, refunded_at=now if refunded >= purchase.amount else None)
            .execution_options(synchronize_session=False)
        )
        uow.session.expire(purchase)  # read again below: what the UPDATE (or another refund) left
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            uow.session.refresh(purchase)
            assert purchase.id is not None
            row = RefundRow(
                purchase_id=purchase.id,
                refund_key=key,
                amount=this,
                source=source,
                actor=actor,
                created_at=now,
            )
            uow.session.add(row)
            uow.flush()
            return purchase, customer_id, Refund(purchase, 0, 0, this, row)
    raise InvalidInput(f"order {order_id} kept moving to another customer while it was refunded; try again")
