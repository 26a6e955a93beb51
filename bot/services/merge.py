"""Merging a duplicate customer into the one to keep (e.g. a Telegram-created one into an imported one)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlmodel import SQLModel, col, select

from bot.clock import Clock
from bot.events import ConversationsLinked
from bot.services.audit import record_audit
from bot.services.conversations import open_ticket_of
from bot.services.errors import InvalidInput
from bot.services.loyalty import lock_customer
from storage.models import (
    ChatIdentity,
    Coupon,
    Customer,
    FaqReply,
    FollowUp,
    Interaction,
    PointsEntry,
    Purchase,
    Redemption,
    RiskSnapshot,
    SurveyDispatch,
    SurveyResponse,
    Ticket,
)
from storage.uow import UnitOfWork

_MOVED: tuple[type[SQLModel], ...] = (
    ChatIdentity,
    Interaction,
    Purchase,
    PointsEntry,
    Redemption,
    Coupon,
    SurveyDispatch,
    SurveyResponse,
    Ticket,
    FaqReply,
)


MERGED = "merged"
"""`Ticket.resolved_by` of a conversation closed by a merge (the customer's other one continues)."""


@dataclass(frozen=True)
class MergeResult:
    kept: Customer
    merged: Customer
    moved: dict[str, int]


def merge_customers(
    uow: UnitOfWork, clock: Clock, *, keep_id: int, duplicate_id: int, actor: str
) -> MergeResult:
    """Move everything of the duplicate into `keep`; the duplicate remains as a pointer, for old references.

    Ledger rows move as they are (not re-booked), so each batch keeps its own expiry date.
    """
    if keep_id == duplicate_id:
        raise InvalidInput("cannot merge a customer into itself")
    now = clock.now()
    with uow:
        first, second = sorted(
            (keep_id, duplicate_id)
        )  # lock in id order: two opposite merges cannot deadlock
        locked = {first: lock_customer(uow, first), second: lock_customer(uow, second)}
        keep, duplicate = locked[keep_id], locked[duplicate_id]
        if duplicate.merged_into_id is not None or keep.merged_into_id is not None:
            raise InvalidInput("one of these customers was already merged into another")
        moved_open, folded = _fold_open_conversations(uow, clock, keep_id=keep_id, duplicate_id=duplicate_id)
        moved: dict[str, int] = {}
        for table in _MOVED:
            column = table.customer_id  # type: ignore[attr-defined]
            result = uow.session.execute(
                update(table).where(column == duplicate_id).values(customer_id=keep_id)
            )
            moved[str(table.__tablename__)] = result.rowcount  # type: ignore[attr-defined]
        # Snapshots are per customer and day (unique): both usually have today's. The duplicate's
        # are dropped; the next scoring run rebuilds the merged customer's from the merged history.
        uow.session.execute(
            delete(RiskSnapshot)
            .where(col(RiskSnapshot.customer_id) == duplicate_id)
            .execution_options(synchronize_session=False)
        )
        _merge_follow_up(uow, keep_id=keep_id, duplicate_id=duplicate_id)
        for field in ("name", "phone", "email", "birthday", "birthday_set_at", "language"):
            if getattr(keep, field) is None and getattr(duplicate, field) is not None:
                setattr(keep, field, getattr(duplicate, field))
        tags = [t for t in dict.fromkeys((keep.tags + "," + duplicate.tags).split(",")) if t]
        keep.tags = ",".join(tags)
        keep.allows_promotions = keep.allows_promotions and duplicate.allows_promotions
        keep.unknown_contact = keep.unknown_contact and duplicate.unknown_contact
        keep.updated_at = now
        duplicate.merged_into_id = keep_id
        duplicate.updated_at = now
        uow.session.add_all([keep, duplicate])
        uow.flush()
        uow.session.expire_all()
        record_audit(
            uow,
            actor=actor,
            action="customer.merge",
            at=now,
            customer_id=keep_id,
            merged_customer_id=duplicate_id,
            merged_external_id=duplicate.external_id,
            moved=moved,
        )
        if moved_open or folded:
            uow.emit(ConversationsLinked(customer_id=keep_id, moved=moved_open, folded=folded))
        kept = uow.session.get(Customer, keep_id)
        merged = uow.session.get(Customer, duplicate_id)
        assert kept is not None and merged is not None
        return MergeResult(kept, merged, moved)


def _fold_open_conversations(
    uow: UnitOfWork, clock: Clock, *, keep_id: int, duplicate_id: int
) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...]]:
    """One open conversation per customer: if both have one, the duplicate's is closed (its thread
    says where it continues). Returns the duplicate's open conversations that move, and the
    (closed, continued in) pairs."""
    keep_open = open_ticket_of(uow, keep_id)
    duplicate_open = open_ticket_of(uow, duplicate_id)
    if duplicate_open is None or duplicate_open.id is None:
        return (), ()
    if keep_open is None or keep_open.id is None:
        return (duplicate_open.id,), ()
    uow.session.execute(
        update(Ticket)
        .where(col(Ticket.id) == duplicate_open.id)
        .values(status="resolved", resolved_at=clock.now(), resolved_by=MERGED)
    )
    return (), ((duplicate_open.id, keep_open.id),)


def _merge_follow_up(uow: UnitOfWork, *, keep_id: int, duplicate_id: int) -> None:
    rows = {
        f.customer_id: f
        for f in uow.session.exec(
            select(FollowUp).where(col(FollowUp.customer_id).in_((keep_id, duplicate_id)))
        ).all()
    }
    if duplicate_id in rows and keep_id not in rows:
        rows[duplicate_id].customer_id = keep_id
        uow.session.add(rows[duplicate_id])
    elif duplicate_id in rows:
        uow.session.delete(rows[duplicate_id])
