"""The first-response clock (SPEC §8): each kind of conversation should get staff's first reply
within its target, counted in business hours (rules `[response_targets]`, `[business_hours]`).

A conversation *waits for a reply* while it is open and nobody has written to the customer yet
(`Ticket.first_response_at` is None; set once, by `reply_to_customer`). Past its deadline it is
*overdue*: the scheduler's sweep flags it once (`Ticket.overdue_at`, claimed by a conditional
UPDATE in the transaction that records the `ConversationOverdue` event), so the team channel hears
it once, across restarts and processes. The digest and App Home list the waiting ones, oldest first.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessHoursRules, BusinessRules
from bot.events import ConversationAnswered, ConversationOverdue
from bot.services.business_hours import business_deadline, business_time_between
from storage.models import Customer, FollowUp, StaffMember, Ticket
from storage.repositories import live_customers
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class WaitingConversation:
    """An open conversation nobody has answered yet, with its clock."""

    ticket_id: int
    customer_id: int
    external_id: str
    name: str | None
    unknown_contact: bool
    kind: str
    text: str
    opened_at: datetime
    due_at: datetime
    target: timedelta
    waited: timedelta
    """Business time since it opened (what the target is measured against)."""
    overdue: bool
    assignee_slack_id: str | None

    @property
    def target_hours(self) -> float:
        return self.target.total_seconds() / 3600

    @property
    def waited_hours(self) -> float:
        return self.waited.total_seconds() / 3600


def response_target(rules: BusinessRules, kind: str) -> timedelta:
    return rules.response_targets.for_kind(kind)


def response_due(rules: BusinessRules, tz: ZoneInfo, kind: str, opened_at: datetime) -> datetime:
    """When the first reply to a conversation of `kind` opened at `opened_at` is due."""
    return business_deadline(_aware(opened_at), response_target(rules, kind), rules.business_hours, tz)


def waiting_for_reply(
    uow: UnitOfWork,
    rules: BusinessRules,
    tz: ZoneInfo,
    now: datetime,
    *,
    viewer_staff_id: int | None = None,
) -> list[WaitingConversation]:
    """Open conversations without a first reply, oldest first. With `viewer_staff_id`: only the ones
    whose customer that staff member follows up, and the unassigned ones (App Home)."""
    with uow:
        query = (
            select(Ticket, Customer, FollowUp, StaffMember)
            .join(Customer, col(Customer.id) == col(Ticket.customer_id))
            .outerjoin(FollowUp, col(FollowUp.customer_id) == col(Ticket.customer_id))
            .outerjoin(StaffMember, col(StaffMember.id) == col(FollowUp.assignee_staff_id))
            .where(Ticket.status == "open", col(Ticket.first_response_at).is_(None), live_customers())
            .order_by(col(Ticket.opened_at), col(Ticket.id))
        )
        if viewer_staff_id is not None:
            query = query.where(
                or_(
                    col(FollowUp.assignee_staff_id).is_(None),
                    col(FollowUp.assignee_staff_id) == viewer_staff_id,
                )
            )
        rows = uow.session.exec(query).all()
        return [_waiting(rules, tz, now, *row) for row in rows]


def _waiting(
    rules: BusinessRules,
    tz: ZoneInfo,
    now: datetime,
    ticket: Ticket,
    customer: Customer,
    follow_up: FollowUp | None,
    assignee: StaffMember | None,
) -> WaitingConversation:
    assert ticket.id is not None
    opened = _aware(ticket.opened_at)
    due = response_due(rules, tz, ticket.kind, opened)
    return WaitingConversation(
        ticket_id=ticket.id,
        customer_id=ticket.customer_id,
        external_id=customer.external_id,
        name=customer.name,
        unknown_contact=customer.unknown_contact,
        kind=ticket.kind,
        text=ticket.text,
        opened_at=opened,
        due_at=due,
        target=response_target(rules, ticket.kind),
        waited=business_time_between(opened, now, rules.business_hours, tz),
        overdue=now >= due,
        assignee_slack_id=assignee.slack_user_id if assignee is not None and follow_up is not None else None,
    )


def flag_overdue(uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo) -> list[int]:
    """Flag every waiting conversation past its deadline that is not flagged yet, once: the flag and
    its `ConversationOverdue` event commit together, and a conditional UPDATE makes one caller (of
    several processes sweeping at once) the one that flags it. Returns the tickets flagged here."""
    now = clock.now()
    flagged: list[int] = []
    with uow:
        rows = uow.session.exec(
            select(Ticket.id, Ticket.customer_id, Ticket.kind, Ticket.opened_at).where(
                Ticket.status == "open",
                col(Ticket.first_response_at).is_(None),
                col(Ticket.overdue_at).is_(None),
            )
        ).all()
        for ticket_id, customer_id, kind, opened_at in rows:
            assert ticket_id is not None
            if response_due(rules, tz, kind, opened_at) > now:
                continue
            claimed = uow.session.execute(
                update(Ticket)
                .where(
                    col(Ticket.id) == ticket_id,
                    col(Ticket.status) == "open",
                    col(Ticket.first_response_at).is_(None),
                    col(Ticket.overdue_at).is_(None),
                )
                .values(overdue_at=now)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                continue  # answered, closed or flagged by another process in the meantime
            target = response_target(rules, kind).total_seconds() / 3600
            uow.emit(
                ConversationOverdue(
                    customer_id=customer_id, ticket_id=ticket_id, kind=kind, target_hours=target
                )
            )
            flagged.append(ticket_id)
    return flagged


def record_first_response(uow: UnitOfWork, now: datetime, *, customer_id: int, ticket_id: int | None) -> bool:
    """Staff wrote to the customer: the conversation (`ticket_id`, else the customer's open one) has
    its first response now, unless it had one. True if this was the first. An overdue one's alert
    is redrawn (its "waiting" marker goes)."""
    with uow:
        where = (
            col(Ticket.id) == ticket_id if ticket_id is not None else col(Ticket.customer_id) == customer_id
        )
        ticket = uow.session.exec(
            select(Ticket).where(where, col(Ticket.status) == "open", col(Ticket.first_response_at).is_(None))
        ).first()
        if ticket is None or ticket.id is None:
            return False
        ticket.first_response_at = now
        uow.session.add(ticket)
        if ticket.overdue_at is not None:
            uow.emit(ConversationAnswered(customer_id=ticket.customer_id, ticket_id=ticket.id))
        return True


@dataclass(frozen=True)
class FirstResponseTimes:
    """First replies to the conversations opened in a period, in business hours."""

    median: timedelta | None
    answered: int

    @property
    def median_hours(self) -> float | None:
        return None if self.median is None else self.median.total_seconds() / 3600


def first_response_times(
    uow: UnitOfWork, hours: BusinessHoursRules, tz: ZoneInfo, start: datetime, end: datetime
) -> FirstResponseTimes:
    """The median business time from opening to staff's first reply, over conversations opened in
    [start, end) that got one (the unanswered ones are the "waiting" list, not a time yet)."""
    with uow:
        rows = uow.session.exec(
            select(Ticket.opened_at, Ticket.first_response_at).where(
                col(Ticket.opened_at) >= start,
                col(Ticket.opened_at) < end,
                col(Ticket.first_response_at).is_not(None),
            )
        ).all()
    waits = [
        business_time_between(_aware(opened), _aware(answered), hours, tz)
        for opened, answered in rows
        if answered is not None
    ]
    if not waits:
        return FirstResponseTimes(None, 0)
    seconds = statistics.median(wait.total_seconds() for wait in waits)
    return FirstResponseTimes(timedelta(seconds=seconds), len(waits))


def _aware(moment: datetime) -> datetime:
    """Stored datetimes are UTC; SQLite may hand them back naive."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
