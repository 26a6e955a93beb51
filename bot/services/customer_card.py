"""The staff's view of one customer: identity, points, scores, last NPS, open tickets, recent history."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.services.audit import record_audit
from bot.services.errors import CustomerNotFound
from bot.services.interactions import recent_interactions
from bot.services.ledger import Balance
from bot.services.loyalty import points_summary
from storage import repositories as repo
from storage.models import Customer, Interaction, RiskSnapshot, SurveyResponse, Ticket
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class CustomerCard:
    customer: Customer
    balance: Balance
    tier: str
    snapshot: RiskSnapshot | None
    """The latest daily score (RFM segment, stage, P(alive), CLV), if the customer was ever scored."""
    last_nps: SurveyResponse | None
    open_tickets: tuple[Ticket, ...]
    recent: tuple[Interaction, ...]
    telegram_linked: bool


def customer_card(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo, customer_id: int
) -> CustomerCard:
    with uow:
        session = uow.session
        customer = repo.customer_by_id(session, customer_id)
        if customer is None or customer.erased_at is not None:
            raise CustomerNotFound(str(customer_id))
        summary = points_summary(uow, clock, rules, customer_id, tz)
        snapshot = session.exec(
            select(RiskSnapshot)
            .where(RiskSnapshot.customer_id == customer_id)
            .order_by(col(RiskSnapshot.as_of).desc())
            .limit(1)
        ).first()
        last_nps = session.exec(
            select(SurveyResponse)
            .where(SurveyResponse.customer_id == customer_id, SurveyResponse.kind == "nps")
            .order_by(col(SurveyResponse.answered_at).desc(), col(SurveyResponse.id).desc())
            .limit(1)
        ).first()
        tickets = session.exec(
            select(Ticket)
            .where(Ticket.customer_id == customer_id, Ticket.status == "open")
            .order_by(col(Ticket.opened_at))
        ).all()
        identities = repo.identities_of(session, customer_id)
        return CustomerCard(
            customer=customer,
            balance=summary.balance,
            tier=summary.tier.tier.name,
            snapshot=snapshot,
            last_nps=last_nps,
            open_tickets=tuple(tickets),
            recent=tuple(recent_interactions(uow, customer_id, limit=5)),
            telegram_linked=any(i.platform == "telegram" for i in identities),
        )


def show_customer_card(
    uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: ZoneInfo, customer_id: int, *, actor: str
) -> CustomerCard:
    """The card, for a person to read: the read lands in the audit log (who, which customer, when)."""
    with uow:
        card = customer_card(uow, clock, rules, tz, customer_id)
        record_audit(uow, actor=actor, action="customer.view", at=clock.now(), customer_id=customer_id)
        return card
