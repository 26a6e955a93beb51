"""Queries with names from the domain, shared by several services."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from storage.models import ChatIdentity, Customer, PointsEntry, Purchase


def live_customers() -> ColumnElement[bool]:
    """Customers that are neither merged into another nor erased."""
    return and_(col(Customer.merged_into_id).is_(None), col(Customer.erased_at).is_(None))


def customer_by_external_id(session: Session, external_id: str) -> Customer | None:
    return session.exec(select(Customer).where(Customer.external_id == external_id)).first()


def customer_by_id(session: Session, customer_id: int, *, for_update: bool = False) -> Customer | None:
    statement = select(Customer).where(Customer.id == customer_id)
    if for_update:
        # FOR NO KEY UPDATE: serialises balance changes without blocking inserts that merely
        # reference the customer (their foreign-key check takes KEY SHARE).
        statement = statement.with_for_update(key_share=True)
    return session.exec(statement).first()


def customers_by_phone(session: Session, phone: str) -> Sequence[Customer]:
    return session.exec(select(Customer).where(Customer.phone == phone, live_customers())).all()


def customers_by_exact_name(session: Session, name: str) -> Sequence[Customer]:
    return session.exec(
        select(Customer).where(func.lower(Customer.name) == name.lower(), live_customers())
    ).all()


def customers_matching(session: Session, text: str, limit: int = 20) -> Sequence[Customer]:
    """Case-insensitive substring search over name, email, phone and id (for pick lists)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return session.exec(
        select(Customer)
        .where(
            live_customers(),
            or_(
                func.lower(Customer.name).like(pattern, escape="\\"),
                func.lower(Customer.email).like(pattern, escape="\\"),
                col(Customer.phone).like(pattern, escape="\\"),
                func.lower(Customer.external_id).like(pattern, escape="\\"),
            ),
        )
        .order_by(col(Customer.name))
        .limit(limit)
    ).all()


def identity_for_chat_user(session: Session, platform: str, user_id: str) -> ChatIdentity | None:
    return session.exec(
        select(ChatIdentity).where(ChatIdentity.platform == platform, ChatIdentity.user_id == user_id)
    ).first()


def identities_of(session: Session, customer_id: int) -> Sequence[ChatIdentity]:
    return session.exec(select(ChatIdentity).where(ChatIdentity.customer_id == customer_id)).all()


def ledger_of(session: Session, customer_id: int) -> Sequence[PointsEntry]:
    return session.exec(
        select(PointsEntry)
        .where(PointsEntry.customer_id == customer_id)
        .order_by(col(PointsEntry.created_at), col(PointsEntry.id))
    ).all()


def ledger_entry_by_key(session: Session, key: str) -> PointsEntry | None:
    return session.exec(select(PointsEntry).where(PointsEntry.idempotency_key == key)).first()


def purchase_by_order_id(session: Session, order_id: str) -> Purchase | None:
    return session.exec(select(Purchase).where(Purchase.order_id == order_id)).first()


def purchases_of(session: Session, customer_id: int) -> Sequence[Purchase]:
    return session.exec(
        select(Purchase).where(Purchase.customer_id == customer_id).order_by(col(Purchase.purchased_on))
    ).all()
