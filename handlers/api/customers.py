"""PUT and GET /customers/{customer_id}: a customer as the import knows them, and their status."""

from __future__ import annotations

from datetime import tzinfo

from bot.importing.records import CustomerRecord
from bot.services.customer_status import CustomerStatus, customer_status
from bot.services.ingest import put_customer
from handlers.api.coupons import coupon_out
from handlers.api.endpoint import LOOKUP_ERRORS, ApiCall, Endpoint, Reply
from handlers.api.schemas import CustomerIn, CustomerOut

CUSTOMER_ID = {"customer_id": "The business's own customer id (a merged id means the customer it went into)."}


def customer_out(status: CustomerStatus, tz: tzinfo) -> CustomerOut:
    return CustomerOut(
        customer_id=status.customer.external_id,
        name=status.customer.name,
        points=status.balance.spendable,
        pending=status.balance.pending,
        tier=status.tier,
        segment=status.segment,
        stage=status.stage,
        open_coupons=[coupon_out(c, tz) for c in status.open_coupons],
    )


async def _status(call: ApiCall, customer_id: str) -> CustomerOut:
    ctx = call.ctx
    status = await call.run(customer_status, ctx.rules, ctx.settings.tz, customer_id=customer_id)
    return customer_out(status, ctx.settings.tz)


async def show(call: ApiCall) -> Reply:
    return Reply(200, await _status(call, call.params["customer_id"]))


async def put(call: ApiCall) -> Reply:
    body: CustomerIn = call.body
    record = CustomerRecord(
        customer_id=call.params["customer_id"],
        name=" ".join(body.name.split()) or None if body.name else None,
        phone=body.phone,
        email=body.email,
        birthday=body.birthday,
        language=body.language,  # type: ignore[arg-type]  # checked by parse_language
        tags=body.tags or (),
    )
    _, created = await call.run(put_customer, record)
    return Reply(201 if created else 200, await _status(call, record.customer_id))


ENDPOINTS = [
    Endpoint(
        "GET",
        "/customers/{customer_id}",
        "A customer's points, pending points, tier, segment, stage and open coupons",
        show,
        responses={200: CustomerOut},
        errors=LOOKUP_ERRORS,
        params=CUSTOMER_ID,
    ),
    Endpoint(
        "PUT",
        "/customers/{customer_id}",
        "Create a customer or fill in their details (the import's fields; a field left out keeps its value)",
        put,
        responses={201: CustomerOut, 200: CustomerOut},
        errors=(400, 401, 409, 413, 429),
        body=CustomerIn,
        params=CUSTOMER_ID,
    ),
]
