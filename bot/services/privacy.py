"""A customer's data: everything as JSON for staff (`export`), the customer's own view (`/mydata`), and
forgetting the person (bot/services/erasure.py; the suppression list is bot/services/suppression.py)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import SQLModel, col, select

from bot.clock import Clock
from bot.services.audit import record_audit
from bot.services.erasure import Erasure, forget_customer
from bot.services.errors import CustomerNotFound
from bot.services.ledger import balance_at
from bot.services.suppression import is_suppressed
from storage import repositories as repo
from storage.models import Interaction, RiskSnapshot, SurveyResponse, Ticket
from storage.uow import UnitOfWork

__all__ = [
    "Erasure",
    "customer_view",
    "customer_view_json",
    "export_customer",
    "export_json",
    "forget_customer",
    "is_suppressed",
]

_CUSTOMER_SEES = (
    "customer_id",
    "name",
    "phone",
    "email",
    "birthday",
    "language",
    "allows_promotions",
    "created_at",
)
"""/mydata's customer fields: not the staff's tags, nor internal flags (unreachable, merged, erased)."""
_TICKET_SEES = ("id", "status", "source", "text", "opened_at", "resolved_at")


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


def customer_view(uow: UnitOfWork, clock: Clock, customer_id: int) -> dict[str, Any]:
    """What `/mydata` gives the customer: their own data, without internal material (§10).

    Left out: staff notes (internal interactions), what staff wrote about a call, visit or email they
    logged (the entry stays, its words do not), staff ids and names, the reasons of staff points
    adjustments, tags, who resolved a ticket, and the staff's analysis (segment, at-risk reasons).
    """
    data = export_customer(uow, clock, customer_id)
    interactions = []
    for item in data["interactions"]:
        if item["direction"] == "internal":
            continue
        shown = {k: item[k] for k in ("channel", "direction", "kind", "text", "created_at")}
        if item.get("staff_id") is not None and item["direction"] != "outbound":
            shown["text"] = ""  # a staff member's own account of a call or visit
        interactions.append(shown)
    ledger = []
    for entry in data["points"]["ledger"]:
        by_staff = str(entry.get("actor", "")).startswith("slack:")
        ledger.append(
            {
                "kind": entry["kind"],
                "delta": entry["delta"],
                "reason": "" if by_staff or entry["kind"] == "adjust" else entry["reason"],
                "available_at": entry["available_at"],
                "expires_at": entry["expires_at"],
                "created_at": entry["created_at"],
            }
        )
    return {
        "customer": {k: data["customer"].get(k) for k in _CUSTOMER_SEES},
        "identities": [
            {k: i.get(k) for k in ("platform", "username", "language_code", "created_at")}
            for i in data["identities"]
        ],
        "interactions": interactions,
        "purchases": data["purchases"],
        "points": {
            "balance": data["points"]["balance"],
            "pending": data["points"]["pending"],
            "ledger": ledger,
        },
        "surveys": data["surveys"],
        "tickets": [{k: t.get(k) for k in _TICKET_SEES} for t in data["tickets"]],
    }


def customer_view_json(uow: UnitOfWork, clock: Clock, customer_id: int, *, actor: str) -> str:
    """`customer_view` as a JSON document; the read lands in the audit log."""
    with uow:
        data = customer_view(uow, clock, customer_id)
        record_audit(
            uow,
            actor=actor,
            action="customer.export",
            at=clock.now(),
            customer_id=customer_id,
            view="customer",
        )
        return json.dumps(data, ensure_ascii=False, indent=2)
