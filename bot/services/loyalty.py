"""Points: crediting, staff adjustments, tiers and the customer's points summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules, TierRule
from bot.services.audit import record_audit
from bot.services.errors import CustomerNotFound, InvalidInput, NotAllowed
from bot.services.ledger import Balance, balance_at
from storage import repositories as repo
from storage.models import Customer, PointsEntry, Purchase
from storage.uow import UnitOfWork

EARNED_KINDS = ("earn", "visit", "survey", "birthday", "bonus")
"""Credits that count towards a tier (adjustments and merges do not)."""
MAX_ADJUSTMENT: Final = 1_000_000
"""The most points one staff adjustment may add or remove: a typo is refused, not booked."""
MAX_ENTRY_POINTS: Final = 10**15
"""The most points one ledger entry may hold (the column is 64-bit; sums of many stay far below)."""


@dataclass(frozen=True)
class TierStatus:
    tier: TierRule
    qualifying: int
    """Points earned (or whole currency units spent) in the tier window."""
    next_tier: TierRule | None

    @property
    def to_next(self) -> int | None:
        return None if self.next_tier is None else max(0, self.next_tier.threshold - self.qualifying)


@dataclass(frozen=True)
class PointsSummary:
    balance: Balance
    tier: TierStatus
    recent: tuple[PointsEntry, ...]


def _append_once(uow: UnitOfWork, entry: PointsEntry) -> tuple[PointsEntry, bool]:
    """Append `entry` unless its idempotency key is already in the ledger (then return that entry)."""
    if abs(entry.delta) > MAX_ENTRY_POINTS:
        raise InvalidInput(
            f"{abs(entry.delta):,} points is more points than one entry can hold "
            f"(at most {MAX_ENTRY_POINTS:,}); check the earning rules"
        )
    with uow:
        existing = repo.ledger_entry_by_key(uow.session, entry.idempotency_key)
        if existing is not None:
            return existing, False
        uow.session.add(entry)
        uow.flush()
        return entry, True


def credit_points(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    points: int,
    kind: str,
    reason: str,
    actor: str,
    idempotency_key: str,
    purchase_id: int | None = None,
    pending: bool = True,
) -> tuple[PointsEntry, bool]:
    """Add a batch of points once per idempotency key (second value: newly created?)."""
    if points <= 0:
        raise InvalidInput("a credit must be a positive number of points")
    now = clock.now()
    earning = rules.earning
    return _append_once(
        uow,
        PointsEntry(
            customer_id=customer_id,
            delta=points,
            kind=kind,
            reason=reason,
            actor=actor,
            idempotency_key=idempotency_key,
            available_at=now + timedelta(days=earning.pending_days if pending else 0),
            expires_at=now + timedelta(days=earning.expiry_days) if earning.expiry_days else None,
            purchase_id=purchase_id,
            created_at=now,
        ),
    )


def debit_points(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    points: int,
    kind: str,
    reason: str,
    actor: str,
    idempotency_key: str,
    lot_id: int | None = None,
    purchase_id: int | None = None,
) -> tuple[PointsEntry, bool]:
    """Remove points once per idempotency key. Callers check the balance under the customer lock."""
    if points <= 0:
        raise InvalidInput("a debit must be a positive number of points")
    now = clock.now()
    return _append_once(
        uow,
        PointsEntry(
            customer_id=customer_id,
            delta=-points,
            kind=kind,
            reason=reason,
            actor=actor,
            idempotency_key=idempotency_key,
            available_at=now,
            lot_id=lot_id,
            purchase_id=purchase_id,
            created_at=now,
        ),
    )


def lock_customer(uow: UnitOfWork, customer_id: int) -> Customer:
    """Serialise balance changes per customer (row lock on PostgreSQL; SQLite's writer lock is global,
    so there the customer comes from the session if it is loaded already: no query)."""
    if uow.dialect == "postgresql":
        customer = repo.customer_by_id(uow.session, customer_id, for_update=True)
    else:
        customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(str(customer_id))
    return customer


def current_balance(uow: UnitOfWork, clock: Clock, customer_id: int) -> Balance:
    with uow:
        return balance_at(repo.ledger_of(uow.session, customer_id), clock.now())


def tier_status(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    customer_id: int,
    tz: ZoneInfo,
    *,
    ledger: Sequence[PointsEntry] | None = None,
) -> TierStatus:
    """The customer's tier from what they earned (or spent) in the configured window. `ledger`:
    the customer's points entries if the caller read them already (points basis: no query)."""
    since = tier_window_start(rules, clock.now(), tz)
    with uow:
        total: int | Decimal
        if rules.tiers.basis == "points" and ledger is not None:
            total = sum(e.delta for e in ledger if e.kind in EARNED_KINDS and e.created_at >= since)
        elif rules.tiers.basis == "points":
            total = uow.session.exec(
                select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(
                    PointsEntry.customer_id == customer_id,
                    col(PointsEntry.kind).in_(EARNED_KINDS),
                    PointsEntry.created_at >= since,
                )
            ).one()
        else:
            total = uow.session.exec(
                select(func.coalesce(func.sum(Purchase.amount), 0)).where(
                    Purchase.customer_id == customer_id,
                    col(Purchase.refunded_at).is_(None),
                    Purchase.purchased_on >= since.astimezone(tz).date(),
                )
            ).one()
    return tier_for(rules, int(Decimal(total).to_integral_value(ROUND_FLOOR)))


def tier_window_start(rules: BusinessRules, now: datetime, tz: ZoneInfo) -> datetime:
    """Where the tier's qualifying window begins: a rolling 12 months, or 1 January (local)."""
    if rules.tiers.window == "calendar_year":
        return datetime(now.astimezone(tz).year, 1, 1, tzinfo=tz)
    return now - timedelta(days=365)


def tier_for(rules: BusinessRules, qualifying: int) -> TierStatus:
    """The tier reached with `qualifying` points (or whole currency units), and the next one."""
    levels = rules.tiers.levels
    reached = [level for level in levels if level.threshold <= qualifying]
    later = [level for level in levels if level.threshold > qualifying]
    return TierStatus(tier=reached[-1], qualifying=qualifying, next_tier=later[0] if later else None)


def points_for_amount(amount: Decimal, rules: BusinessRules, multiplier: Decimal) -> int:
    """Points a purchase earns: per whole unit of currency, times the tier multiplier, rounded down."""
    raw = amount * rules.earning.points_per_currency_unit * multiplier
    return max(0, int(raw.to_integral_value(ROUND_FLOOR)))


def points_summary(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, customer_id: int, tz: ZoneInfo, recent: int = 5
) -> PointsSummary:
    with uow:
        entries = repo.ledger_of(uow.session, customer_id)
        return PointsSummary(
            balance=balance_at(entries, clock.now()),
            tier=tier_status(uow, clock, rules, customer_id, tz),
            recent=tuple(reversed(entries[-recent:])),
        )


def adjust_points(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    *,
    customer_id: int,
    delta: int,
    reason: str,
    actor: str,
    actor_is_admin: bool,
    idempotency_key: str,
) -> tuple[PointsEntry, bool]:
    """A staff adjustment: admins only, with an internal reason, audited. A debit cannot overdraw."""
    if not actor_is_admin:
        raise NotAllowed("only admins can adjust points")
    if delta == 0:
        raise InvalidInput("the adjustment must be +N or -N, not 0")
    if abs(delta) > MAX_ADJUSTMENT:
        raise InvalidInput(f"one adjustment can add or remove at most {MAX_ADJUSTMENT:,} points")
    if not reason.strip():
        raise InvalidInput("an adjustment needs a reason")
    with uow:
        lock_customer(uow, customer_id)
        if delta > 0:
            entry, created = credit_points(
                uow,
                clock,
                rules,
                customer_id=customer_id,
                points=delta,
                kind="adjust",
                reason=reason,
                actor=actor,
                idempotency_key=idempotency_key,
                pending=False,
            )
        else:
            available = current_balance(uow, clock, customer_id).spendable
            if repo.ledger_entry_by_key(uow.session, idempotency_key) is None and -delta > available:
                raise InvalidInput(f"cannot remove {-delta} points: the customer has {available}")
            entry, created = debit_points(
                uow,
                clock,
                customer_id=customer_id,
                points=-delta,
                kind="adjust",
                reason=reason,
                actor=actor,
                idempotency_key=idempotency_key,
            )
        if created:
            record_audit(
                uow,
                actor=actor,
                action="points.adjust",
                at=clock.now(),
                customer_id=customer_id,
                delta=delta,
                reason=reason,
            )
        return entry, created


def birthday_reward_allowed(customer: Customer, birthday_this_year: date, min_days_known: int) -> bool:
    """Anti-gaming: a birthday entered fewer than `min_days_known` days before it earns no reward."""
    if customer.birthday is None or customer.birthday_set_at is None:
        return False
    return (birthday_this_year - customer.birthday_set_at.date()).days >= min_days_known
