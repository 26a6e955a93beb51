"""Seed a demo database once: the real CDNOW purchase rhythms with made-up people.

Dates are shifted so the newest purchase lands a few days before today (weekdays kept), so
"slipping away" means something in the demo. Purchases of the last 12 months earn points.
Data: the CDNOW 1/10 sample, see bot/demo/data/README.md for its source and attribution.

The seed marks the database in the audit log (no schema of its own): `demo.seed.started` before
the first row, `demo.seed` when done; either mark is how bot/demo/database.py recognises the
demo's own database. An interrupted seed is finished on the next run (every step skips what
is already there).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from bot.context import AppContext
from bot.demo.database import SEED_MARK, SEED_STARTED
from bot.importing import read_purchases
from bot.importing.records import CustomerRecord, Language, PurchaseRecord
from bot.services import imports
from bot.services.ledger import balance_at
from bot.services.purchases import record_purchase
from bot.services.rewards import sync_catalogue
from storage.models import AuditLog, Customer, PointsEntry, Purchase

DATA_FILE = Path(__file__).resolve().parent / "data" / "cdnow_sample.csv"

_EN_FIRST = (
    "Ava",
    "Ben",
    "Chloe",
    "Daniel",
    "Emma",
    "Finn",
    "Grace",
    "Henry",
    "Isla",
    "Jack",
    "Kate",
    "Liam",
)
_EN_LAST = ("Smith", "Jones", "Brown", "Taylor", "Wilson", "Evans", "Walker", "Wright", "Green", "Hall")
_ZH_SURNAME = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "林")
_HANS_GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "秀英", "慧")
_HANT_GIVEN = ("志明", "淑芬", "冠宇", "怡君", "家豪", "雅婷", "俊傑", "佳穎", "宗翰", "欣怡", "詩涵", "美玲")


@dataclass(frozen=True)
class DemoSummary:
    customers: int
    purchases: int
    points_outstanding: int
    seeded_now: bool


def _person(rng: random.Random, index: int) -> tuple[str, str, Language]:
    """(name, E.164 phone in a fictional range for the language's market, language)."""
    language: Language = rng.choices(("en", "zh-Hans", "zh-Hant"), weights=(5, 3, 2))[0]
    if language == "en":
        return f"{rng.choice(_EN_FIRST)} {rng.choice(_EN_LAST)}", f"+1201234{index:04d}", language
    if language == "zh-Hans":
        return rng.choice(_ZH_SURNAME) + rng.choice(_HANS_GIVEN), f"+8613800{index:06d}", language
    return rng.choice(_ZH_SURNAME) + rng.choice(_HANT_GIVEN), f"+88691{index:07d}", language


def seed_demo(ctx: AppContext, *, rng_seed: int = 7) -> DemoSummary:
    """Load the demo data unless it is there already (a second run only reports)."""
    uow = ctx.uow()
    with uow:
        marks = set(
            uow.session.exec(
                select(AuditLog.action).where(col(AuditLog.action).in_((SEED_STARTED, SEED_MARK)))
            ).all()
        )
    seeded = SEED_MARK in marks
    if not seeded:
        if SEED_STARTED not in marks:
            _mark(ctx, SEED_STARTED)
        _seed(ctx, random.Random(rng_seed))
        _mark(ctx, SEED_MARK)
    return summarize(ctx, seeded_now=not seeded)


def _mark(ctx: AppContext, action: str) -> None:
    uow = ctx.uow()
    with uow:
        uow.session.add(AuditLog(actor="demo", action=action, created_at=ctx.clock.now()))


def _seed(ctx: AppContext, rng: random.Random) -> None:
    result = read_purchases(DATA_FILE)
    purchases = [record for _, record in result.records]
    today = ctx.clock.now().astimezone(ctx.settings.tz).date()
    newest = max(p.date for p in purchases)
    shift = timedelta(weeks=((today - timedelta(days=3)) - newest).days // 7)
    ids = sorted({p.customer_id for p in purchases})
    customers = []
    for index, external_id in enumerate(ids):
        name, phone, language = _person(rng, index)
        birthday = date(rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28))
        customers.append(
            CustomerRecord(
                customer_id=external_id,
                name=name,
                phone=phone,
                email=None,
                birthday=birthday,
                language=language,
                tags=("demo",),
            )
        )
    imports.import_customers(ctx.uow(), ctx.clock, customers)
    cutoff = today - timedelta(days=365)
    history = [p for p in purchases if p.date + shift < cutoff]
    recent = [p for p in purchases if p.date + shift >= cutoff]
    imports.import_purchases(
        ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, [_shifted(p, shift) for p in history]
    )
    uow = ctx.uow()
    with uow:
        sync_catalogue(uow, ctx.rules)
        by_external = {c.external_id: c.id for c in uow.session.exec(select(Customer)).all()}
        for record in recent:
            customer_id = by_external[record.customer_id]
            assert customer_id is not None
            record_purchase(
                uow,
                ctx.clock,
                ctx.rules,
                ctx.settings.tz,
                customer_id=customer_id,
                amount=record.amount,
                purchased_on=record.date + shift,
                order_id=record.order_id,
                quantity=record.quantity,
                source="import",
                actor="demo",
            )


def _shifted(record: PurchaseRecord, shift: timedelta) -> PurchaseRecord:
    return PurchaseRecord(
        customer_id=record.customer_id,
        date=record.date + shift,
        amount=record.amount,
        order_id=record.order_id,
        quantity=record.quantity,
        currency=record.currency,
    )


def summarize(ctx: AppContext, *, seeded_now: bool) -> DemoSummary:
    uow = ctx.uow()
    with uow:
        customers = uow.session.exec(select(func.count()).select_from(Customer)).one()
        purchases = uow.session.exec(select(func.count()).select_from(Purchase)).one()
        entries = uow.session.exec(select(PointsEntry)).all()
        outstanding = balance_at(entries, ctx.clock.now())
    return DemoSummary(
        int(customers), int(purchases), outstanding.spendable + outstanding.pending, seeded_now
    )
