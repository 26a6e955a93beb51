"""POST /webhooks/shopify: `orders/paid` records the purchase, `refunds/create` takes its points back
(a partial refund in proportion). Signed with SHOPIFY_WEBHOOK_SECRET (X-Shopify-Hmac-Sha256); a
redelivery carries the same X-Shopify-Webhook-Id and changes nothing."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.context import AppContext
from handlers.shops import common
from handlers.shops.shopify_payloads import SOURCE, Order, Refund, shop_order, shop_refund
from handlers.shops.signing import signature_matches

PATH: Final = "/webhooks/shopify"
SHOP: Final = "Shopify"
HMAC_HEADER: Final = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER: Final = "X-Shopify-Topic"
WEBHOOK_ID_HEADER: Final = "X-Shopify-Webhook-Id"
ORDER_PAID: Final = "orders/paid"
REFUND_CREATED: Final = "refunds/create"


def shopify_route(ctx: AppContext) -> Route:
    async def receive(request: Request) -> Response:
        secret = ctx.settings.shopify_webhook_secret
        if secret is None:
            return common.not_configured(SHOP, "SHOPIFY_WEBHOOK_SECRET")
        body = await request.body()
        given = request.headers.get(HMAC_HEADER)
        if not signature_matches(secret.get_secret_value(), body, given):
            client = common.client_of(request.client.host if request.client else None)
            return common.bad_signature(SHOP, HMAC_HEADER, given, client)
        topic = request.headers.get(TOPIC_HEADER, "")
        webhook_id = request.headers.get(WEBHOOK_ID_HEADER)
        delivery = (SOURCE, webhook_id) if webhook_id else None  # the same id on every redelivery
        if topic == ORDER_PAID:
            try:
                order = common.read_payload(Order, body)
            except common.Unreadable as exc:
                return common.unreadable(SHOP, topic, exc)
            if order.test:
                return common.ignored(SHOP, f"order {order.name or order.id} is a test order")
            return await common.settle(ctx, SHOP, delivery=delivery, order=shop_order(order))
        if topic == REFUND_CREATED:
            try:
                refund = common.read_payload(Refund, body)
            except common.Unreadable as exc:
                return common.unreadable(SHOP, topic, exc)
            return await common.settle(ctx, SHOP, delivery=delivery, refunds=[shop_refund(refund)])
        return common.ignored(
            SHOP, f"topic {topic or '(none)'!r}: only {ORDER_PAID} and {REFUND_CREATED} count"
        )

    return Route(PATH, receive, methods=["POST"], name="shopify-webhook")
