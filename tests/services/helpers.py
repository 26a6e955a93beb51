"""Small builders for service tests (they call the real services, never mocks)."""

from __future__ import annotations

from decimal import Decimal

from bot.context import AppContext
from bot.services.customers import create_customer
from bot.services.purchases import RecordedPurchase, record_purchase
from storage.models import Customer


def new_customer(ctx: AppContext, external_id: str = "C1", **fields: object) -> Customer:
    return create_customer(ctx.uow(), ctx.clock, external_id=external_id, **fields)  # type: ignore[arg-type]


def buy(ctx: AppContext, customer: Customer, amount: str, order_id: str | None = None) -> RecordedPurchase:
    assert customer.id is not None
    return record_purchase(
        ctx.uow(),
        ctx.clock,
        ctx.rules,
        ctx.settings.tz,
        customer_id=customer.id,
        amount=Decimal(amount),
        order_id=order_id,
    )
