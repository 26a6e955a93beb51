"""POST /webhooks/woocommerce: an order that reaches `completed` records the purchase, one that
reaches `refunded` takes its points back, and the partial refunds an order lists take back their
share. Signed with WOOCOMMERCE_WEBHOOK_SECRET (X-WC-Webhook-Signature); the unsigned ping that
WooCommerce sends when the webhook is saved is answered 200.

WooCommerce redelivers nothing by itself and its X-WC-Webhook-Delivery-ID is a hash of the webhook id
and the current second (two deliveries in one second share it), so repeats are recognised by the
order id and each refund's id instead, never by the delivery id."""

from __future__ import annotations

from typing import Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.context import AppContext
from bot.services.shop_orders import ShopOrder, ShopRefund
from handlers.shops import common
from handlers.shops.signing import signature_matches
from handlers.shops.woocommerce_payloads import (
    COMPLETED,
    REFUNDED,
    Order,
    is_ping,
    partial_refunds,
    shop_order,
    whole_refund,
)

PATH: Final = "/webhooks/woocommerce"
SHOP: Final = "WooCommerce"
SIGNATURE_HEADER: Final = "X-WC-Webhook-Signature"
TOPIC_HEADER: Final = "X-WC-Webhook-Topic"
ORDER_TOPICS: Final = ("order.created", "order.updated")


def woocommerce_route(ctx: AppContext) -> Route:
    async def receive(request: Request) -> Response:
        secret = ctx.settings.woocommerce_webhook_secret
        if secret is None:
            return common.not_configured(SHOP, "WOOCOMMERCE_WEBHOOK_SECRET")
        body = await request.body()
        if is_ping(body):  # sent unsigned on saving the webhook; it must get 200 or the save fails
            common.log.info("WooCommerce webhook ping answered: the webhook is saved")
            return JSONResponse({"status": "ok"})
        given = request.headers.get(SIGNATURE_HEADER)
        if not signature_matches(secret.get_secret_value(), body, given):
            client = common.client_of(request.client.host if request.client else None)
            return common.bad_signature(SHOP, SIGNATURE_HEADER, given, client)
        topic = request.headers.get(TOPIC_HEADER, "")
        if topic not in ORDER_TOPICS:
            return common.ignored(
                SHOP, f"topic {topic or '(none)'!r}: only Order created / Order updated count"
            )
        try:
            order = common.read_payload(Order, body)
        except common.Unreadable as exc:
            return common.unreadable(SHOP, f"{topic} (is the webhook's API version WP REST API v3?)", exc)
        paid: ShopOrder | None = None
        refunds: list[ShopRefund] = []
        if order.status == COMPLETED:  # with the partial refunds made since, if any
            paid, refunds = shop_order(order), partial_refunds(order)
        elif order.status == REFUNDED:
            refunds = [*partial_refunds(order), whole_refund(order)]
        else:
            number = order.number or order.id
            return common.ignored(SHOP, f"order #{number} is {order.status!r}, not completed or refunded")
        return await common.settle(ctx, SHOP, delivery=None, order=paid, refunds=refunds)

    return Route(PATH, receive, methods=["POST"], name="woocommerce-webhook")
