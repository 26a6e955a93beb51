"""The customer's own view of their points (/points, /rewards), read for every such command.

The same ledger and the same pure balance rules as `loyalty.points_summary`; only the reading is
lighter: the ledger's columns through one prepared statement instead of ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import col

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.coupons import CouponView, open_coupons
from bot.services.ledger import Balance, balance_at
from bot.services.loyalty import EARNED_KINDS, TierStatus, tier_for, tier_status, tier_window_start
from storage.models import PointsEntry
from storage.uow import UnitOfWork


@dataclass(slots=True)
class LedgerLine:
    """One ledger entry as the balance rules and the history need it (fields as `LedgerRow` has them)."""

    id: int | None
    kind: str
    delta: int
    available_at: datetime
    expires_at: datetime | None
    lot_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class PointsView:
    balance: Balance
    tier: TierStatus
    recent: tuple[LedgerLine, ...]
    """Newest first."""
    coupons: tuple[CouponView, ...] = ()
    """Coupons that can still be used, the soonest to expire first."""


_LEDGER: Final = (
    sa_select(
        col(PointsEntry.id),
        col(PointsEntry.kind),
        col(PointsEntry.delta),
        col(PointsEntry.available_at),
        col(PointsEntry.expires_at),
        col(PointsEntry.lot_id),
        col(PointsEntry.created_at),
    )
    .where(col(PointsEntry.customer_id) == bindparam("customer_id"))
    .order_by(col(PointsEntry.created_at), col(PointsEntry.id))
)


def ledger_lines(uow: UnitOfWork, customer_id: int) -> list[LedgerLine]:
    """The customer's ledger, oldest first."""
    with uow:
        return [LedgerLine(*row) for row in uow.session.execute(_LEDGER, {"customer_id": customer_id})]


def points_view(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, customer_id: int, tz: ZoneInfo, recent: int = 5
) -> PointsView:
    """Spendable and pending points, batches expiring soon, the tier, the latest entries and the
    coupons that can still be used."""
    now = clock.now()
    with uow:
        lines = ledger_lines(uow, customer_id)
        if rules.tiers.basis == "points":  # the ledger at hand has what the tier counts
            since = tier_window_start(rules, now, tz)
            earned = sum(e.delta for e in lines if e.kind in EARNED_KINDS and e.created_at >= since)
            tier = tier_for(rules, earned)
        else:
            tier = tier_status(uow, clock, rules, customer_id, tz)
        coupons = tuple(open_coupons(uow, clock, customer_id))
        return PointsView(balance_at(lines, now), tier, tuple(reversed(lines[-recent:])), coupons)


def spendable_points(uow: UnitOfWork, clock: Clock, customer_id: int) -> int:
    return balance_at(ledger_lines(uow, customer_id), clock.now()).spendable
