"""POST /purchases: a sale at the till or in the online shop, once per order id."""

from __future__ import annotations

from bot.services.ingest import CustomerRef, LivePurchase, record_live_purchase_for
from handlers.api.endpoint import ApiCall, Endpoint, Reply
from handlers.api.schemas import PurchaseIn, PurchaseOut


def purchase_out(done: LivePurchase) -> PurchaseOut:
    purchase = done.purchase
    return PurchaseOut(
        order_id=purchase.order_id,
        customer_id=done.customer.external_id,
        amount=purchase.amount,
        currency=purchase.currency,
        date=purchase.purchased_on,
        quantity=purchase.quantity,
        points_earned=done.points,
        balance=done.balance.spendable,
        pending=done.balance.pending,
    )


async def record(call: ApiCall) -> Reply:
    body: PurchaseIn = call.body
    ctx = call.ctx
    who = body.customer
    done = await ctx.call(
        record_live_purchase_for,
        ctx.clock,
        ctx.rules,
        ctx.settings.tz,
        who=CustomerRef(customer_id=who.customer_id, phone=who.phone, email=who.email, name=who.name),
        order_id=body.order_id,
        amount=body.amount,
        currency=body.currency,
        purchased_on=body.date,
        quantity=body.quantity,
        default_region=ctx.settings.default_phone_region,
        source="api",
        actor=call.actor,
    )
    return Reply(201 if done.created else 200, purchase_out(done))


ENDPOINTS = [
    Endpoint(
        "POST",
        "/purchases",
        "Record a purchase and credit its points "
        "(the same order_id again: 200, the same body, nothing changed)",
        record,
        responses={201: PurchaseOut, 200: PurchaseOut},
        errors=(400, 401, 409, 413, 429),
        body=PurchaseIn,
    )
]
