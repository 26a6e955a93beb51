"""The digest's reads: newly at-risk customers, detractors, negative feedback, kind words, tickets past
their SLA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from bot.services.kpis import DETRACTOR_MAX
from bot.services.risk_list import AtRiskCustomer, rank, to_row
from storage.models import Customer, FollowUp, Interaction, RiskSnapshot, SurveyResponse, Ticket
from storage.repositories import live_customers
from storage.uow import UnitOfWork

NEGATIVE_SENTIMENT = -0.1
"""The sentiment at or below which feedback counts as negative (the tickets use the same)."""


@dataclass(frozen=True)
class Said:
    """A detractor's answer or a piece of negative feedback, with who said it."""

    customer_id: int
    external_id: str
    name: str | None
    at: datetime
    text: str
    score: int | None = None


@dataclass(frozen=True)
class OverdueTicket:
    ticket_id: int
    customer_id: int
    external_id: str
    name: str | None
    opened_at: datetime
    hours_open: float
    text: str


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The start of a local day, in UTC."""
    return datetime.combine(day, time(), tz).astimezone(UTC)


def snapshot_day_on_or_before(uow: UnitOfWork, day: date) -> date | None:
    with uow:
        found: date | None = uow.session.exec(
            select(func.max(RiskSnapshot.as_of)).where(col(RiskSnapshot.as_of) <= day)
        ).one()
        return found


def entered_at_risk(uow: UnitOfWork, day: date, now: datetime, tz: ZoneInfo) -> list[AtRiskCustomer]:
    """Customers flagged on `day` who were not on the snapshot day before it (or whose snooze ended since),
    snoozed and inactive customers left out, highest value at risk first (as scoring's `entered`)."""
    with uow:
        previous: date | None = uow.session.exec(
            select(func.max(RiskSnapshot.as_of)).where(col(RiskSnapshot.as_of) < day)
        ).one()
        before = aliased(RiskSnapshot)
        snoozed_now = col(FollowUp.customer_id) == col(RiskSnapshot.customer_id)
        query = (
            select(RiskSnapshot, col(Customer.external_id), col(Customer.name), FollowUp)
            .join(Customer, col(Customer.id) == col(RiskSnapshot.customer_id))
            .outerjoin(FollowUp, snoozed_now)
            .where(
                col(RiskSnapshot.as_of) == day,
                col(RiskSnapshot.at_risk).is_(True),
                or_(col(FollowUp.snoozed_until).is_(None), col(FollowUp.snoozed_until) <= now),
                live_customers(),
            )
        )
        if previous is not None:
            ended_since = day_start(previous + timedelta(days=1), tz)
            query = query.outerjoin(
                before,
                and_(
                    col(before.customer_id) == col(RiskSnapshot.customer_id),
                    col(before.as_of) == previous,
                    col(before.at_risk).is_(True),
                ),
            ).where(or_(col(before.id).is_(None), col(FollowUp.snoozed_until) > ended_since))
        rows = uow.session.execute(query).all()
        return rank([to_row(snapshot, external_id, name) for snapshot, external_id, name, _ in rows])


def at_risk_count(uow: UnitOfWork, day: date, now: datetime) -> int:
    """The at-risk list's length on snapshot `day`: flagged, not snoozed at `now`, live customers."""
    with uow:
        snoozed = and_(
            col(FollowUp.customer_id) == col(RiskSnapshot.customer_id), col(FollowUp.snoozed_until) > now
        )
        count = uow.session.exec(
            select(func.count())
            .select_from(RiskSnapshot)
            .join(Customer, col(Customer.id) == col(RiskSnapshot.customer_id))
            .outerjoin(FollowUp, snoozed)
            .where(
                col(RiskSnapshot.as_of) == day,
                col(RiskSnapshot.at_risk).is_(True),
                col(FollowUp.id).is_(None),
                live_customers(),
            )
        ).one()
        return int(count)


def flagged_count(uow: UnitOfWork, day: date) -> int:
    """Customers flagged on a past snapshot day (the chart's history; snoozes then are not known)."""
    with uow:
        count = uow.session.exec(
            select(func.count())
            .select_from(RiskSnapshot)
            .where(col(RiskSnapshot.as_of) == day, col(RiskSnapshot.at_risk).is_(True))
        ).one()
        return int(count)


def detractors_between(uow: UnitOfWork, start: datetime, end: datetime) -> list[Said]:
    """NPS answers of 0-6 given in [start, end), newest first."""
    with uow:
        rows = uow.session.execute(
            select(SurveyResponse, col(Customer.external_id), col(Customer.name))
            .join(Customer, col(Customer.id) == col(SurveyResponse.customer_id))
            .where(
                SurveyResponse.kind == "nps",
                col(SurveyResponse.score) <= DETRACTOR_MAX,
                col(SurveyResponse.answered_at) >= start,
                col(SurveyResponse.answered_at) < end,
                live_customers(),
            )
            .order_by(col(SurveyResponse.answered_at).desc(), col(SurveyResponse.id).desc())
        ).all()
        return [
            Said(r.customer_id, external_id, name, r.answered_at, r.comment or "", r.score)
            for r, external_id, name in rows
        ]


def negative_feedback_between(uow: UnitOfWork, start: datetime, end: datetime) -> list[Said]:
    """Feedback customers sent in [start, end) whose sentiment is negative, newest first."""
    return _feedback_between(uow, start, end, col(Interaction.sentiment) <= NEGATIVE_SENTIMENT)


def kind_words_between(uow: UnitOfWork, start: datetime, end: datetime) -> list[Said]:
    """Messages customers sent in [start, end) that triage read as praise, newest first."""
    return _feedback_between(uow, start, end, col(Interaction.triage) == "praise")


def _feedback_between(
    uow: UnitOfWork, start: datetime, end: datetime, which: ColumnElement[bool]
) -> list[Said]:
    """Customers' own messages in [start, end) that `which` picks, newest first."""
    with uow:
        rows = uow.session.execute(
            select(Interaction, col(Customer.external_id), col(Customer.name))
            .join(Customer, col(Customer.id) == col(Interaction.customer_id))
            .where(
                Interaction.kind == "feedback",
                Interaction.direction == "inbound",
                which,
                col(Interaction.created_at) >= start,
                col(Interaction.created_at) < end,
                live_customers(),
            )
            .order_by(col(Interaction.created_at).desc(), col(Interaction.id).desc())
        ).all()
        return [Said(i.customer_id, external_id, name, i.created_at, i.text) for i, external_id, name in rows]


def tickets_past_sla(uow: UnitOfWork, now: datetime, sla_hours: float) -> list[OverdueTicket]:
    """Open tickets opened more than `sla_hours` before `now`, oldest first."""
    with uow:
        rows = uow.session.execute(
            select(Ticket, col(Customer.external_id), col(Customer.name))
            .join(Customer, col(Customer.id) == col(Ticket.customer_id))
            .where(Ticket.status == "open", col(Ticket.opened_at) <= now - timedelta(hours=sla_hours))
            .order_by(col(Ticket.opened_at), col(Ticket.id))
        ).all()
        out = []
        for ticket, external_id, name in rows:
            assert ticket.id is not None
            opened = ticket.opened_at if ticket.opened_at.tzinfo else ticket.opened_at.replace(tzinfo=UTC)
            hours = (now - opened).total_seconds() / 3600
            out.append(
                OverdueTicket(ticket.id, ticket.customer_id, external_id, name, opened, hours, ticket.text)
            )
        return out
