"""What a staff member's App Home shows about their own work: the customers they follow up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from storage.models import Customer, FollowUp
from storage.repositories import live_customers
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class AssignedCustomer:
    customer: Customer
    snoozed_until: datetime | None
    last_contacted_at: datetime | None


def assigned_customers(uow: UnitOfWork, staff_id: int, limit: int = 20) -> list[AssignedCustomer]:
    """The customers this staff member owns, most recently changed first."""
    with uow:
        rows = uow.session.exec(
            select(Customer, FollowUp)
            .join(FollowUp, col(FollowUp.customer_id) == col(Customer.id))
            .where(FollowUp.assignee_staff_id == staff_id, live_customers())
            .order_by(col(FollowUp.updated_at).desc())
            .limit(limit)
        ).all()
        return [AssignedCustomer(c, f.snoozed_until, f.last_contacted_at) for c, f in rows]
