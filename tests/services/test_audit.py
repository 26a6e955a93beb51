"""Every read or change of one customer's personal data lands in the audit log: who, what, when."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlmodel import col, select

from bot.context import AppContext
from bot.services.customer_card import show_customer_card
from bot.services.links import create_link_code
from bot.services.privacy import export_json
from bot.services.staff_actions import record_staff_purchase
from storage.models import AuditLog
from tests.services.helpers import new_customer


def test_a_card_a_link_a_purchase_and_an_export_are_each_audited(ctx: AppContext) -> None:
    ann = new_customer(ctx, "C1", name="Ann Lee", phone="+14155550100")
    assert ann.id is not None
    clock, rules, tz = ctx.clock, ctx.rules, ctx.settings.tz

    show_customer_card(ctx.uow(), clock, rules, tz, ann.id, actor="slack:U1")
    create_link_code(ctx.uow(), clock, customer_id=ann.id, actor="slack:U2")
    record_staff_purchase(
        ctx.uow(), clock, rules, tz, customer_id=ann.id, amount=Decimal("12"), note="", actor="slack:U1",
        actor_role="staff",
    )  # fmt: skip
    exported = json.loads(export_json(ctx.uow(), clock, ann.id, actor="customer:telegram"))

    with ctx.uow() as uow:
        audits = uow.session.exec(select(AuditLog).order_by(col(AuditLog.id))).all()
    assert [(a.actor, a.action, a.customer_id) for a in audits] == [
        ("slack:U1", "customer.view", ann.id),
        ("slack:U2", "customer.link_code", ann.id),
        ("slack:U1", "purchase.record", ann.id),
        ("customer:telegram", "customer.export", ann.id),
    ]
    assert all(a.created_at == clock.now() for a in audits)
    assert "+14155550100" not in json.dumps([a.detail for a in audits])
    assert exported["customer"]["phone"] == "+14155550100"
