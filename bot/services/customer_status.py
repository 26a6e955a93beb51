"""One customer as a till or an online shop sees them: points, pending, tier, segment, stage, coupons."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.audit import record_audit
from bot.services.coupons import CouponView
from bot.services.customer_points import points_view
from bot.services.customers import follow_merges
from bot.services.errors import CustomerNotFound
from bot.services.ledger import Balance
from storage import repositories as repo
from storage.models import Customer, RiskSnapshot
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class CustomerStatus:
    customer: Customer
    balance: Balance
    tier: str
    segment: str | None
    """The RFM segment of the latest daily score (None until the customer is scored)."""
    stage: str | None
    open_coupons: tuple[CouponView, ...]
    """Reward and win-back coupons that can still be used, the soonest to expire first."""


def customer_status(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo, *, customer_id: str, actor: str
) -> CustomerStatus:
    """The customer with this id (a merged id: the customer it was merged into); the read is audited."""
    with uow:
        found = repo.customer_by_external_id(uow.session, customer_id)
        if found is None or found.erased_at is not None:
            raise CustomerNotFound(customer_id)
        customer = follow_merges(uow, found)
        if customer.erased_at is not None or customer.id is None:
            raise CustomerNotFound(customer_id)
        view = points_view(uow, clock, rules, customer.id, tz, recent=0)
        snapshot = uow.session.exec(
            select(RiskSnapshot)
            .where(RiskSnapshot.customer_id == customer.id)
            .order_by(col(RiskSnapshot.as_of).desc())
            .limit(1)
        ).first()
        record_audit(uow, actor=actor, action="customer.view", at=clock.now(), customer_id=customer.id)
        return CustomerStatus(
            customer=customer,
            balance=view.balance,
            tier=view.tier.tier.name,
            segment=snapshot.segment or None if snapshot else None,
            stage=snapshot.stage or None if snapshot else None,
            open_coupons=view.coupons,
        )
