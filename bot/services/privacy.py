"""A customer's data: export everything as JSON, or forget the person (keeping anonymous aggregates)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete
from sqlmodel import SQLModel, col, select

from bot.clock import Clock
from bot.services.audit import record_audit
from bot.services.errors import CustomerNotFound
from bot.services.ledger import balance_at
from storage import repositories as repo
from storage.models import (
    ChatIdentity,
    Customer,
    FollowUp,
    Interaction,
    PointsEntry,
    RiskSnapshot,
    SurveyResponse,
    Ticket,
)
from storage.uow import UnitOfWork

_PERSONAL = ("name", "phone", "email", "birthday", "birthday_set_at")


def _plain(row: SQLModel, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    return {key: value for key, value in row.model_dump().items() if key not in drop}


def _json_default(value: object) -> str | float:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def export_customer(uow: UnitOfWork, clock: Clock, customer_id: int) -> dict[str, Any]:
    """Everything stored about one customer, with the keys of SPEC §1."""
    with uow:
        customer = repo.customer_by_id(uow.session, customer_id)
        if customer is None:
            raise CustomerNotFound(str(customer_id))
        session = uow.session
        ledger = repo.ledger_of(session, customer_id)
        balance = balance_at(ledger, clock.now())
        snapshot = session.exec(
            select(RiskSnapshot)
            .where(RiskSnapshot.customer_id == customer_id)
            .order_by(col(RiskSnapshot.as_of).desc())
            .limit(1)
        ).first()
        data: dict[str, Any] = {
            "customer": _plain(customer, drop=("id", "merged_into_id"))
            | {"customer_id": customer.external_id},
            "identities": [
                _plain(i, drop=("id", "customer_id")) for i in repo.identities_of(session, customer_id)
            ],
            "interactions": [
                _plain(i, drop=("id", "customer_id", "source_event_id"))
                for i in session.exec(
                    select(Interaction)
                    .where(Interaction.customer_id == customer_id)
                    .order_by(col(Interaction.created_at))
                ).all()
            ],
            "purchases": [
                {
                    "order_id": p.order_id,
                    "date": p.purchased_on,
                    "amount": p.amount,
                    "currency": p.currency,
                    "quantity": p.quantity,
                    "refunded": p.refunded_at is not None,
                    "refunded_amount": p.refunded_amount,
                }
                for p in repo.purchases_of(session, customer_id)
            ],
            "points": {
                "balance": balance.spendable,
                "pending": balance.pending,
                "ledger": [
                    _plain(e, drop=("id", "customer_id", "idempotency_key", "lot_id")) for e in ledger
                ],
            },
            "surveys": [
                {"kind": r.kind, "score": r.score, "comment": r.comment, "answered_at": r.answered_at}
                for r in session.exec(
                    select(SurveyResponse)
                    .where(SurveyResponse.customer_id == customer_id)
                    .order_by(col(SurveyResponse.answered_at))
                ).all()
            ],
            "tickets": [
                _plain(t, drop=("customer_id", "slack_channel", "slack_ts"))
                for t in session.exec(select(Ticket).where(Ticket.customer_id == customer_id)).all()
            ],
            "scores": _plain(snapshot, drop=("id", "customer_id")) if snapshot else None,
        }
    # A round trip through JSON turns dates and Decimals into the strings the file will hold.
    result: dict[str, Any] = json.loads(json.dumps(data, default=_json_default, ensure_ascii=False))
    return result


def export_json(uow: UnitOfWork, clock: Clock, customer_id: int, *, actor: str) -> str:
    """The export as a JSON document; who asked for it lands in the audit log."""
    with uow:
        data = export_customer(uow, clock, customer_id)
        record_audit(uow, actor=actor, action="customer.export", at=clock.now(), customer_id=customer_id)
        return json.dumps(data, ensure_ascii=False, indent=2)


def forget_customer(uow: UnitOfWork, clock: Clock, *, customer_id: int, actor: str) -> Customer:
    """Erase personal data: contact details, chat links, free texts. Amounts, dates and scores stay."""
    now = clock.now()
    with uow:
        customer = repo.customer_by_id(uow.session, customer_id, for_update=True)
        if customer is None:
            raise CustomerNotFound(str(customer_id))
        session = uow.session
        for field in _PERSONAL:
            setattr(customer, field, None)
        customer.external_id = f"erased-{customer.id}"
        customer.tags = ""
        customer.allows_promotions = False
        customer.erased_at = now
        customer.updated_at = now
        session.add(customer)
        session.execute(delete(ChatIdentity).where(col(ChatIdentity.customer_id) == customer_id))
        session.execute(delete(FollowUp).where(col(FollowUp.customer_id) == customer_id))
        for interaction in session.exec(
            select(Interaction).where(Interaction.customer_id == customer_id)
        ).all():
            interaction.text = ""
            session.add(interaction)
        for response in session.exec(
            select(SurveyResponse).where(SurveyResponse.customer_id == customer_id)
        ).all():
            response.comment = None
            session.add(response)
        for ticket in session.exec(select(Ticket).where(Ticket.customer_id == customer_id)).all():
            ticket.text = ""
            session.add(ticket)
        for entry in session.exec(select(PointsEntry).where(PointsEntry.customer_id == customer_id)).all():
            entry.reason = ""
            session.add(entry)
        record_audit(uow, actor=actor, action="customer.forget", at=now, customer_id=customer_id)
        return customer
