"""Points expiry: record expired batches in the ledger, and find batches that need an advance notice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.ledger import build_lots
from bot.services.loyalty import debit_points, lock_customer
from storage import repositories as repo
from storage.models import PointsEntry
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class ExpiringBatch:
    customer_id: int
    lot_id: int
    points: int
    expires_at: datetime

    @property
    def notice_key(self) -> str:
        """Idempotency key of the advance notice: one notice per batch, ever."""
        return f"expiry-notice:{self.lot_id}"


def _customers_with_credits_expiring_before(uow: UnitOfWork, moment: datetime) -> list[int]:
    rows = uow.session.exec(
        select(PointsEntry.customer_id)
        .where(
            PointsEntry.delta > 0,
            col(PointsEntry.expires_at).is_not(None),
            col(PointsEntry.expires_at) <= moment,
        )
        .distinct()
    ).all()
    return sorted(rows)


def expire_points(uow: UnitOfWork, clock: Clock) -> int:
    """Write an `expire` entry for every batch past its expiry that still has points; returns points expired.

    Balances already ignore such batches; the entry makes the history say what happened. Idempotent.
    """
    now = clock.now()
    expired = 0
    with uow:
        for customer_id in _customers_with_credits_expiring_before(uow, now):
            lock_customer(uow, customer_id)
            for lot in build_lots(repo.ledger_of(uow.session, customer_id)):
                if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= now:
                    _, created = debit_points(
                        uow,
                        clock,
                        customer_id=customer_id,
                        points=lot.remaining,
                        kind="expire",
                        reason="points expired",
                        actor="system",
                        idempotency_key=f"expire:{lot.entry_id}",
                        lot_id=lot.entry_id,
                    )
                    expired += lot.remaining if created else 0
    return expired


def batches_needing_notice(uow: UnitOfWork, clock: Clock, rules: BusinessRules) -> list[ExpiringBatch]:
    """Batches with points left that expire within the notice period (the sender skips noticed ones)."""
    now = clock.now()
    horizon = now + timedelta(days=rules.earning.expiry_notice_days)
    batches: list[ExpiringBatch] = []
    with uow:
        for customer_id in _customers_with_credits_expiring_before(uow, horizon):
            for lot in build_lots(repo.ledger_of(uow.session, customer_id)):
                if lot.remaining > 0 and lot.expires_at is not None and now < lot.expires_at <= horizon:
                    batches.append(ExpiringBatch(customer_id, lot.entry_id, lot.remaining, lot.expires_at))
    return batches
