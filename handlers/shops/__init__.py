"""Online shops' webhooks (SPEC §9): one module per platform that checks the signature and maps the
payload to the purchase service. Both routes are always served; without its secret a route answers
503 and logs which setting is missing."""

from __future__ import annotations

from starlette.routing import BaseRoute

from bot.context import AppContext
from handlers.shops.shopify import shopify_route
from handlers.shops.woocommerce import woocommerce_route


def shop_routes(ctx: AppContext) -> list[BaseRoute]:
    return [shopify_route(ctx), woocommerce_route(ctx)]
