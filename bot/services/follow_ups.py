"""Staff follow-up on a customer: who owns it, when they were last contacted, and snoozes."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select

from bot.clock import Clock
from bot.services.audit import record_audit
from bot.services.errors import InvalidInput
from bot.services.interactions import log_interaction
from storage.models import Customer, FollowUp
from storage.uow import UnitOfWork


def follow_up_of(uow: UnitOfWork, customer_id: int) -> FollowUp | None:
    with uow:
        return uow.session.exec(select(FollowUp).where(FollowUp.customer_id == customer_id)).first()


def _row(uow: UnitOfWork, customer_id: int, now: datetime) -> FollowUp:
    row = follow_up_of(uow, customer_id)
    return row if row is not None else FollowUp(customer_id=customer_id, updated_at=now)


def assign(uow: UnitOfWork, clock: Clock, *, customer_id: int, staff_id: int, actor: str) -> FollowUp:
    """Make a staff member the customer's follow-up owner."""
    now = clock.now()
    with uow:
        row = _row(uow, customer_id, now)
        row.assignee_staff_id, row.updated_at = staff_id, now
        uow.session.add(row)
        record_audit(
            uow, actor=actor, action="follow_up.assign", at=now, customer_id=customer_id, staff_id=staff_id
        )
        return row


def mark_contacted(
    uow: UnitOfWork,
    clock: Clock,
    *,
    customer_id: int,
    staff_id: int,
    note: str = "",
    actor: str | None = None,
) -> FollowUp:
    """Log a staff "contacted" interaction on the customer's timeline (audited when `actor` is given)."""
    now = clock.now()
    with uow:
        if actor is not None:
            record_audit(uow, actor=actor, action="follow_up.contacted", at=now, customer_id=customer_id)
        log_interaction(
            uow,
            clock,
            customer_id=customer_id,
            channel="slack",
            direction="internal",
            kind="contacted",
            text=note or "contacted",
            staff_id=staff_id,
            score=False,
        )
        row = _row(uow, customer_id, now)
        row.last_contacted_at, row.updated_at = now, now
        uow.session.add(row)
        return row


def snooze(
    uow: UnitOfWork, clock: Clock, *, customer_id: int, until: datetime, reason: str, actor: str
) -> FollowUp:
    """Keep the customer out of at-risk alerts and the digest until `until`."""
    now = clock.now()
    if until <= now:
        raise InvalidInput("a snooze must end in the future")
    if not reason.strip():
        raise InvalidInput("a snooze needs a reason")
    with uow:
        row = _row(uow, customer_id, now)
        row.snoozed_until, row.snooze_reason, row.updated_at = until, reason.strip()[:500], now
        uow.session.add(row)
        record_audit(
            uow,
            actor=actor,
            action="follow_up.snooze",
            at=now,
            customer_id=customer_id,
            until=until.isoformat(),
            reason=reason,
        )
        return row


def assigned_to(uow: UnitOfWork, staff_id: int, limit: int = 20) -> list[Customer]:
    """The customers a staff member follows up (for their App Home)."""
    with uow:
        return list(
            uow.session.exec(
                select(Customer)
                .join(FollowUp, col(FollowUp.customer_id) == col(Customer.id))
                .where(FollowUp.assignee_staff_id == staff_id)
                .order_by(col(FollowUp.updated_at).desc())
                .limit(limit)
            ).all()
        )
