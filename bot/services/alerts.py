"""Staff alerts: every alert is one open ticket, whose Slack message (Ticket.slack_channel/slack_ts)
is updated in place and whose thread is the conversation with the customer.

A detractor without an open ticket gets one (source `survey`), so "Reply to customer", "Resolve"
and the CSAT that follows work the same for every alert, and a later alert for the same
customer updates that one instead of posting another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, update
from sqlmodel import col, select

from bot.clock import Clock
from bot.services.conversations import open_ticket_of
from bot.services.errors import CustomerNotFound
from bot.services.inbound import claim_inbound
from bot.services.tickets import get_ticket, open_ticket
from storage import repositories as repo
from storage.models import (
    ChatIdentity,
    Customer,
    FollowUp,
    Interaction,
    ProcessedUpdate,
    StaffMember,
    SurveyResponse,
    Ticket,
)
from storage.uow import UnitOfWork

ALERT_CLAIMS = "slack-alert"
"""`ProcessedUpdate.platform` of the claim that makes one process post a ticket's alert."""


@dataclass(frozen=True)
class AlertView:
    """Everything an alert message shows, read in one transaction."""

    ticket: Ticket
    customer: Customer
    latest_nps: SurveyResponse | None
    assignee_slack_id: str | None
    last_contacted_at: datetime | None
    contacted_by_slack_id: str | None
    snoozed_until: datetime | None
    snooze_reason: str | None
    reachable: bool
    """The customer has a Telegram chat and has not blocked the bot: a reply can reach them."""
    telegram_username: str | None = None
    """The chat's @username (shown for an unknown contact, who has no other name staff know)."""

    @property
    def revision(self) -> str:
        """A short token of the state the buttons act on: a double click on the same state is one click."""
        parts = (
            self.ticket.status,
            self.assignee_slack_id,
            self.last_contacted_at,
            self.snoozed_until,
            self.latest_nps.id if self.latest_nps else None,
        )
        return hashlib.sha1(repr(parts).encode()).hexdigest()[:10]


def ticket_for_alert(
    uow: UnitOfWork, clock: Clock, *, customer_id: int, source: str, text: str
) -> tuple[Ticket, bool]:
    """The customer's open ticket (its alert gets updated), or a new one (second value: new?)."""
    with uow:
        if repo.customer_by_id(uow.session, customer_id) is None:
            raise CustomerNotFound(str(customer_id))
        return open_ticket(uow, clock, customer_id=customer_id, source=source, text=text)


def open_ticket_id(uow: UnitOfWork, customer_id: int) -> int | None:
    with uow:
        ticket = open_ticket_of(uow, customer_id)
        return ticket.id if ticket else None


def alert_view(uow: UnitOfWork, ticket_id: int) -> AlertView:
    with uow:
        session = uow.session
        ticket = get_ticket(uow, ticket_id)
        customer = repo.customer_by_id(session, ticket.customer_id)
        if customer is None:
            raise CustomerNotFound(str(ticket.customer_id))
        follow_up = session.exec(select(FollowUp).where(FollowUp.customer_id == customer.id)).first()
        assignee = (
            session.get(StaffMember, follow_up.assignee_staff_id)
            if follow_up and follow_up.assignee_staff_id
            else None
        )
        contact = session.exec(
            select(Interaction)
            .where(Interaction.customer_id == customer.id, Interaction.kind == "contacted")
            .order_by(col(Interaction.created_at).desc(), col(Interaction.id).desc())
        ).first()
        contacted_by = session.get(StaffMember, contact.staff_id) if contact and contact.staff_id else None
        latest_nps = session.exec(
            select(SurveyResponse)
            .where(SurveyResponse.customer_id == customer.id, SurveyResponse.kind == "nps")
            .order_by(col(SurveyResponse.answered_at).desc(), col(SurveyResponse.id).desc())
        ).first()
        return AlertView(
            ticket=ticket,
            customer=customer,
            latest_nps=latest_nps,
            assignee_slack_id=assignee.slack_user_id if assignee else None,
            last_contacted_at=follow_up.last_contacted_at if follow_up else None,
            contacted_by_slack_id=contacted_by.slack_user_id if contacted_by else None,
            snoozed_until=follow_up.snoozed_until if follow_up else None,
            snooze_reason=follow_up.snooze_reason if follow_up else None,
            reachable=customer_reachable(uow, customer),
            telegram_username=session.exec(
                select(ChatIdentity.username).where(
                    ChatIdentity.customer_id == customer.id, ChatIdentity.platform == "telegram"
                )
            ).first(),
        )


def customer_reachable(uow: UnitOfWork, customer: Customer) -> bool:
    """A staff reply can reach the customer: they have a Telegram chat and have not blocked the bot."""
    with uow:
        chat = uow.session.exec(
            select(ChatIdentity.id).where(
                ChatIdentity.customer_id == customer.id, ChatIdentity.platform == "telegram"
            )
        ).first()
        return chat is not None and not customer.unreachable


@dataclass(frozen=True)
class AlertClaim:
    """The right to post one ticket's alert, held from `since` until the lease runs out."""

    ticket_id: int
    since: datetime
    taken_over: bool
    """Claimed from a poster whose lease ran out (it died, or could not tell whether Slack took its
    post): that post may be in the channel, so look for it before posting."""


def _claim_key(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def _claim_row(ticket_id: int) -> list[ColumnElement[bool]]:
    return [
        col(ProcessedUpdate.platform) == ALERT_CLAIMS,
        col(ProcessedUpdate.update_key) == _claim_key(ticket_id),
    ]


def claim_alert_post(uow: UnitOfWork, clock: Clock, ticket_id: int, *, lease: timedelta) -> AlertClaim | None:
    """The claim for the one caller (across processes) that posts this ticket's alert; None while the
    alert is attached already or another poster's lease runs (wait, then ask again)."""
    now = clock.now()
    with uow:
        if get_ticket(uow, ticket_id).slack_ts:
            return None
        if claim_inbound(uow, platform=ALERT_CLAIMS, key=_claim_key(ticket_id), now=now):
            return AlertClaim(ticket_id, now, taken_over=False)
        taken = uow.session.execute(
            update(ProcessedUpdate)
            .where(*_claim_row(ticket_id), col(ProcessedUpdate.processed_at) < now - lease)
            .values(processed_at=now)
        )
        return AlertClaim(ticket_id, now, taken_over=True) if taken.rowcount else None  # type: ignore[attr-defined]


def renew_alert_claim(uow: UnitOfWork, clock: Clock, claim: AlertClaim) -> AlertClaim | None:
    """A fresh lease before the next call to Slack; None if another poster has taken the claim over."""
    now = clock.now()
    with uow:
        renewed = uow.session.execute(
            update(ProcessedUpdate)
            .where(*_claim_row(claim.ticket_id), col(ProcessedUpdate.processed_at) == claim.since)
            .values(processed_at=now)
        )
        return replace(claim, since=now) if renewed.rowcount else None  # type: ignore[attr-defined]


def release_alert_claim(uow: UnitOfWork, claim: AlertClaim) -> None:
    """Slack refused the post (a definite "not posted"): let the next event about this ticket try again."""
    with uow:
        uow.session.execute(
            delete(ProcessedUpdate).where(
                *_claim_row(claim.ticket_id), col(ProcessedUpdate.processed_at) == claim.since
            )
        )


def open_tickets(uow: UnitOfWork, limit: int = 10) -> list[tuple[Ticket, Customer]]:
    """The open tickets, oldest first (the ones waiting longest come first), with their customers."""
    with uow:
        rows = uow.session.exec(
            select(Ticket, Customer)
            .join(Customer, col(Customer.id) == col(Ticket.customer_id))
            .where(Ticket.status == "open")
            .order_by(col(Ticket.opened_at), col(Ticket.id))
            .limit(limit)
        ).all()
        return [(ticket, customer) for ticket, customer in rows]
