"""POST /refunds: an order refunded, wholly or in part; its points go back in proportion."""

from __future__ import annotations

from bot.services.ingest import record_live_refund
from handlers.api.endpoint import ApiCall, Endpoint, Reply
from handlers.api.schemas import RefundIn, RefundOut


async def refund(call: ApiCall) -> Reply:
    body: RefundIn = call.body
    ctx = call.ctx
    done = await ctx.call(
        record_live_refund,
        ctx.clock,
        order_id=body.order_id,
        amount=body.amount,
        refund_key=body.refund_id or (f"{body.order_id}:full" if body.amount is None else None),
        source="api",
        actor=call.actor,
    )
    row, purchase = done.refund.row, done.refund.purchase
    out = RefundOut(
        order_id=purchase.order_id,
        refund_id=row.refund_key if row is not None else "",
        customer_id=done.customer.external_id,
        amount=done.refund.amount,
        refunded_total=purchase.refunded_amount,
        fully_refunded=purchase.refunded_at is not None,
        points_reversed=done.refund.points_reversed,
        points_not_recoverable=done.refund.points_not_recoverable,
        balance=done.balance.spendable,
        pending=done.balance.pending,
    )
    return Reply(201 if done.refund.created else 200, out)


ENDPOINTS = [
    Endpoint(
        "POST",
        "/refunds",
        "Refund an order, wholly or in part (the same refund_id again: 200, nothing changed)",
        refund,
        responses={201: RefundOut, 200: RefundOut},
        errors=(400, 401, 404, 409, 413, 429),
        body=RefundIn,
    )
]
