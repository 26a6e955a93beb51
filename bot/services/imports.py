"""Persisting validated import rows: customers upserted by their id, purchases added once per order id.

A row that would bring back an erased person (their id, phone or email is on the suppression list)
is refused and counted as `suppressed`; nothing of it is saved."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.importing.records import CustomerRecord, PurchaseRecord
from bot.services.purchases import record_purchase
from bot.services.suppression import load_suppressions
from storage.models import Customer, Purchase
from storage.uow import UnitOfWork

_CHUNK = 500
T = TypeVar("T")


@dataclass(frozen=True)
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    customers_created: int = 0
    suppressed: int = 0
    """Rows refused because they would re-create an erased person."""


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _customers_by_external_id(uow: UnitOfWork, external_ids: Iterable[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    for chunk in _chunks(sorted(set(external_ids))):
        for customer in uow.session.exec(select(Customer).where(col(Customer.external_id).in_(chunk))).all():
            found[customer.external_id] = customer
    return found


def import_customers(
    uow: UnitOfWork,
    clock: Clock,
    records: Sequence[CustomerRecord],
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportCounts:
    """Create new customers and fill in changed fields of known ones; the same file twice changes nothing."""
    now = clock.now()
    created = updated = unchanged = suppressed = 0
    with uow:
        known = _customers_by_external_id(uow, (r.customer_id for r in records))
        erased = load_suppressions(uow.session)
        for done, record in enumerate(records, start=1):
            if erased.matches(customer_id=record.customer_id, phone=record.phone, email=record.email):
                suppressed += 1
                continue
            values = {
                "name": record.name,
                "phone": record.phone,
                "email": record.email,
                "birthday": record.birthday,
                "language": record.language,
            }
            customer = known.get(record.customer_id)
            if customer is None:
                customer = Customer(
                    external_id=record.customer_id,
                    name=record.name,
                    phone=record.phone,
                    email=record.email,
                    birthday=record.birthday,
                    language=record.language,
                    created_at=now,
                    updated_at=now,
                    tags=",".join(record.tags),
                )
                if record.birthday is not None:
                    customer.birthday_set_at = now
                known[record.customer_id] = customer
                created += 1
            else:
                changes = {k: v for k, v in values.items() if v is not None and getattr(customer, k) != v}
                tags = ",".join(record.tags)
                if record.tags and tags != customer.tags:
                    changes["tags"] = tags
                if not changes:
                    unchanged += 1
                    continue
                if "birthday" in changes:
                    customer.birthday_set_at = now
                for key, value in changes.items():
                    setattr(customer, key, value)
                customer.updated_at = now
                updated += 1
            uow.session.add(customer)
            if progress is not None and done % 200 == 0:
                progress(done)
    return ImportCounts(created=created, updated=updated, unchanged=unchanged, suppressed=suppressed)


def import_purchases(
    uow: UnitOfWork,
    clock: Clock,
    rules: BusinessRules,
    tz: ZoneInfo,
    records: Sequence[PurchaseRecord],
    *,
    award_points: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportCounts:
    """Add purchases not seen before (by order id), creating unknown customers on the way.

    Historical purchases earn no points unless `award_points` (a shop importing years of history
    would otherwise hand out points that expire at once or were earned under other rules).
    """
    now = clock.now()
    created = unchanged = customers_created = 0
    with uow:
        customers = _customers_by_external_id(uow, (r.customer_id for r in records))
        erased = load_suppressions(uow.session)
        refused = {
            i for i in {r.customer_id for r in records} - customers.keys() if erased.matches(customer_id=i)
        }
        suppressed = sum(1 for r in records if r.customer_id in refused)
        records = [r for r in records if r.customer_id not in refused]
        for external_id in sorted({r.customer_id for r in records} - customers.keys()):
            customer = Customer(external_id=external_id, created_at=now, updated_at=now)
            uow.session.add(customer)
            customers[external_id] = customer
            customers_created += 1
        uow.flush()
        for done, chunk in enumerate(_chunks(records), start=1):
            order_ids = [r.order_id for r in chunk]
            seen = set(
                uow.session.exec(select(Purchase.order_id).where(col(Purchase.order_id).in_(order_ids))).all()
            )
            for record in chunk:
                if record.order_id in seen:
                    unchanged += 1
                    continue
                seen.add(record.order_id)
                customer_id = customers[record.customer_id].id
                assert customer_id is not None
                if award_points:
                    record_purchase(
                        uow,
                        clock,
                        rules,
                        tz,
                        customer_id=customer_id,
                        amount=record.amount,
                        purchased_on=record.date,
                        order_id=record.order_id,
                        currency=record.currency,
                        quantity=record.quantity,
                        source="import",
                        actor="import",
                    )
                else:  # history only: no points, so no ledger or tier work per row
                    uow.session.add(
                        Purchase(
                            customer_id=customer_id,
                            order_id=record.order_id,
                            purchased_on=record.date,
                            amount=record.amount,
                            currency=record.currency,
                            quantity=record.quantity,
                            source="import",
                            created_at=now,
                        )
                    )
                created += 1
            if progress is not None:
                progress(min(done * _CHUNK, len(records)))
    return ImportCounts(
        created=created, unchanged=unchanged, customers_created=customers_created, suppressed=suppressed
    )
