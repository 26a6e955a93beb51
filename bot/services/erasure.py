"""Forgetting a customer (SPEC §10): the person and every record merged into them lose their personal
data in one transaction; amounts, dates, scores and counts stay as anonymous aggregates.

What goes: names, phones, emails, birthdays, tags, chat links and link codes, follow-ups (owner,
snooze reason), the text of every message, note, survey comment and ticket, purchase notes, points
reasons, the comments quoted in at-risk reasons, the words of audit details, the customer's id in a
one-person campaign's name, and the Telegram chat id in redemption keys. What stays: the rows
themselves (a purchase's amount and date, a score, a points delta, a ticket's times) under a
placeholder id `erased-N`. The person's id, phone and email join the suppression list (keyed hashes,
bot/services/suppression.py), and the Slack messages about them are queued for editing
(bot/services/slack_erasures.py). docs/decisions.md says why these lines are drawn where they are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.events import CustomerErased
from bot.services.audit import record_audit
from bot.services.digest_mentions import digest_messages_about, queue_digest_redactions
from bot.services.errors import CustomerNotFound
from bot.services.risk_reasons import reasons_from_json
from bot.services.slack_erasures import queue_slack_erasures, slack_messages_about
from bot.services.suppression import ERASED_ID_PREFIX, suppress
from storage import repositories as repo
from storage.models import (
    AuditLog,
    ChatIdentity,
    Customer,
    FollowUp,
    Interaction,
    LinkCode,
    OutboxMessage,
    PointsEntry,
    Purchase,
    Redemption,
    RiskSnapshot,
    SurveyCampaign,
    SurveyDispatch,
    SurveyResponse,
    Ticket,
    WinbackOffer,
)
from storage.uow import UnitOfWork

ERASED_BY = "erasure"
"""`Ticket.resolved_by` of a ticket closed because its customer was forgotten."""
_AUDIT_TEXT_KEPT = frozenset({"order_id", "kind", "until", "amount", "view"})
"""Audit detail strings that name no one (an order number, a kind of contact, a snooze date, an
amount, which view of the data was read)."""


@dataclass(frozen=True)
class Erasure:
    customer: Customer
    merged: int
    """Records merged into the customer, erased with them."""
    suppressed: int
    """Identifiers newly on the suppression list."""
    slack_messages: int
    """Slack messages (alerts with their threads, logged messages) queued to be edited to "erased"."""


def forget_customer(uow: UnitOfWork, clock: Clock, *, customer_id: int, actor: str) -> Erasure:
    """Erase a customer and everything merged into them (asked for a merged duplicate, the customer it
    now lives in). Running it again on an erased customer finishes anything an older erasure left."""
    now = clock.now()
    with uow:
        session = uow.session
        root = _merged_root(session, customer_id)
        customer = repo.customer_by_id(session, root, for_update=True)
        if customer is None:
            raise CustomerNotFound(str(customer_id))
        chain = [customer, *_merged_into(session, root)]
        ids = [c.id for c in chain if c.id is not None]
        suppressed = suppress(
            session, now, [{"customer_id": c.external_id, "phone": c.phone, "email": c.email} for c in chain]
        )
        slack = queue_slack_erasures(session, now, slack_messages_about(session, ids))
        slack += queue_digest_redactions(session, now, digest_messages_about(session, ids))
        own_ids = [c.external_id for c in chain if not c.external_id.startswith(ERASED_ID_PREFIX)]
        for person in chain:
            _erase_person(person, now)
            session.add(person)
        _erase_records(session, now, ids, own_ids)
        uow.flush()
        record_audit(
            uow,
            actor=actor,
            action="customer.forget",
            at=now,
            customer_id=root,
            merged=len(chain) - 1,
            suppressed=suppressed,
            slack_messages=slack,
        )
        uow.emit(CustomerErased(customer_id=root, slack_messages=slack))
        return Erasure(customer, len(chain) - 1, suppressed, slack)


def _merged_root(session: Session, customer_id: int) -> int:
    seen = {customer_id}
    current = repo.customer_by_id(session, customer_id)
    while current is not None and current.merged_into_id is not None and current.merged_into_id not in seen:
        seen.add(current.merged_into_id)
        current = repo.customer_by_id(session, current.merged_into_id)
    return current.id if current is not None and current.id is not None else customer_id


def _merged_into(session: Session, root: int) -> list[Customer]:
    """Every customer merged into `root`, directly or through a chain of merges."""
    found: list[Customer] = []
    seen, frontier = {root}, [root]
    while frontier:
        rows = session.exec(select(Customer).where(col(Customer.merged_into_id).in_(frontier))).all()
        frontier = [c.id for c in rows if c.id is not None and c.id not in seen]
        seen.update(frontier)
        found.extend(c for c in rows if c.id in frontier)
    return found


def _erase_person(customer: Customer, now: datetime) -> None:
    customer.external_id = f"{ERASED_ID_PREFIX}{customer.id}"
    customer.name = customer.phone = customer.email = None
    customer.birthday = None
    customer.birthday_set_at = None
    customer.tags = ""
    customer.allows_promotions = False
    customer.erased_at = customer.erased_at or now
    customer.updated_at = now


def _erase_records(session: Session, now: datetime, ids: Sequence[int], own_ids: Sequence[str]) -> None:
    mine = {table: col(table.customer_id).in_(ids) for table in _OWNED}  # type: ignore[attr-defined]
    for gone in (ChatIdentity, FollowUp, LinkCode):
        session.execute(delete(gone).where(mine[gone]).execution_options(synchronize_session=False))
    # The outbox keeps events' words (a message, a reply) for a week after delivery: the person's
    # rows go, and what was not delivered yet is not (the chat is unlinked, the alert is erased).
    # This erasure's own CustomerErased is written at the commit, after this.
    aggregates = [f"customer:{i}" for i in ids]
    session.execute(
        delete(OutboxMessage)
        .where(col(OutboxMessage.aggregate).in_(aggregates))
        .execution_options(synchronize_session=False)
    )
    texts: list[tuple[type, dict[str, Any]]] = [
        (Interaction, {"text": ""}),
        (SurveyResponse, {"comment": None}),
        (Ticket, {"text": ""}),
        (Purchase, {"note": ""}),
        (PointsEntry, {"reason": ""}),
    ]
    for table, values in texts:
        session.execute(update(table).where(mine[table]).values(**values))
    session.execute(
        update(Ticket)
        .where(mine[Ticket], col(Ticket.status) == "open")
        .values(status="resolved", resolved_at=now, resolved_by=ERASED_BY)
    )
    session.execute(
        update(SurveyDispatch)
        .where(mine[SurveyDispatch], col(SurveyDispatch.status) == "queued")
        .values(status="skipped", skip_reason="erased")
    )
    session.execute(
        update(WinbackOffer)
        .where(mine[WinbackOffer], col(WinbackOffer.status) == "queued")
        .values(status="skipped")
    )
    for redemption in session.exec(select(Redemption).where(mine[Redemption])).all():
        redemption.request_key = f"erased:{redemption.id}"  # it held the Telegram chat id
        session.add(redemption)
    for snapshot in session.exec(
        select(RiskSnapshot).where(mine[RiskSnapshot], col(RiskSnapshot.reasons).contains("comment"))
    ).all():
        reasons = [
            {k: v for k, v in r.items() if k != "comment"} for r in reasons_from_json(snapshot.reasons)
        ]
        snapshot.reasons = json.dumps(reasons, ensure_ascii=False, separators=(",", ":"))
        session.add(snapshot)
    for entry in session.exec(select(AuditLog).where(col(AuditLog.customer_id).in_(ids))).all():
        entry.detail = _scrubbed(entry.detail)
        session.add(entry)
    if own_ids:
        segments = [f"customer:{own}" for own in own_ids]
        session.execute(
            update(SurveyCampaign)
            .where(col(SurveyCampaign.segment).in_(segments))
            .values(segment="customer:erased", name="NPS customer:erased")
        )


_OWNED: tuple[type, ...] = (
    ChatIdentity,
    FollowUp,
    LinkCode,
    Interaction,
    SurveyResponse,
    Ticket,
    Purchase,
    PointsEntry,
    SurveyDispatch,
    WinbackOffer,
    Redemption,
    RiskSnapshot,
)


def _scrubbed(detail: str) -> str:
    """An audit entry's details without words that could name the person: numbers, flags and the
    few strings that name no one stay (who did what, and when, stays in the entry's own columns)."""
    try:
        data = json.loads(detail or "{}")
    except json.JSONDecodeError:
        data = {}
    kept: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if _anonymous(value) or (key in _AUDIT_TEXT_KEPT and isinstance(value, str)):
                kept[key] = value
    kept["erased"] = True
    return json.dumps(kept, ensure_ascii=False)


def _anonymous(value: object) -> bool:
    if value is None or isinstance(value, bool | int | float):
        return True
    if isinstance(value, dict):
        return all(isinstance(v, bool | int | float) or v is None for v in value.values())
    return False
