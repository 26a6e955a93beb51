"""Staff members (Slack users) and their roles."""

from __future__ import annotations

from collections.abc import Set

from sqlmodel import select

from bot.clock import Clock
from storage.models import StaffMember
from storage.uow import UnitOfWork


def ensure_staff(
    uow: UnitOfWork, clock: Clock, *, slack_user_id: str, name: str = "", admin_ids: Set[str]
) -> StaffMember:
    """The staff row for a Slack user; the role follows SLACK_ADMIN_USER_IDS on every call."""
    role = "admin" if slack_user_id in admin_ids else "staff"
    with uow:
        staff = uow.session.exec(
            select(StaffMember).where(StaffMember.slack_user_id == slack_user_id)
        ).first()
        if staff is None:
            staff = StaffMember(slack_user_id=slack_user_id, name=name, role=role, created_at=clock.now())
        else:
            staff.role = role
            staff.name = name or staff.name
        uow.session.add(staff)
        uow.flush()
        return staff
