"""What both shop webhooks share: the answer when their secret is not set, reading a signed body
into a payload model, settling a delivery, and the small JSON answer it gets."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.responses import JSONResponse

from bot.context import AppContext
from bot.services.shop_orders import ShopOrder, ShopOutcome, ShopRefund, settle_shop_order

log = logging.getLogger("retention_bot.shops")

Model = TypeVar("Model", bound=BaseModel)


class Unreadable(ValueError):
    """A signed body that is not the payload we expected; the message names the fields, not their values."""


def not_configured(shop: str, setting: str) -> JSONResponse:
    """503: the shop retries later, and the delivery arrives once the owner has set the secret."""
    log.warning(
        "%s webhook refused (503): %s is not set, so its signature cannot be checked. Set it to the "
        "webhook secret from the shop's admin (README: Online shops) and restart retention-bot",
        shop,
        setting,
    )
    return JSONResponse(
        {"error": f"{shop} webhooks are off: {setting} is not set"},
        status_code=503,
        headers={"Retry-After": "3600"},
    )


def bad_signature(shop: str, header: str, given: str | None, client: str) -> JSONResponse:
    log.warning(
        "%s webhook refused (401): %s from %s; if the shop sent it, the secret differs from the settings",
        shop,
        f"no {header} header" if not given else f"{header} does not match the body",
        client,
    )
    return JSONResponse({"error": "bad signature"}, status_code=401)


def read_payload(model: type[Model], body: bytes) -> Model:
    """The body as `model`, or Unreadable (no personal data in its message: field names only)."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Unreadable("the body is not JSON") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(part) for part in error["loc"]) or "(body)" for error in exc.errors()})
        raise Unreadable(f"not a {model.__name__}: bad or missing {', '.join(fields[:5])}") from exc


def unreadable(shop: str, what: str, exc: Unreadable) -> JSONResponse:
    log.warning("%s webhook %s refused (400): %s", shop, what, exc)
    return JSONResponse({"error": str(exc)}, status_code=400)


def ignored(shop: str, reason: str) -> JSONResponse:
    log.info("%s webhook ignored: %s", shop, reason)
    return JSONResponse({"status": "ignored", "reason": reason})


async def settle(
    ctx: AppContext,
    shop: str,
    *,
    delivery: tuple[str, str] | None,
    order: ShopOrder | None = None,
    refunds: Sequence[ShopRefund] = (),
) -> JSONResponse:
    """Record a delivery's order and refunds (one transaction) and answer what it did."""
    settings = ctx.settings
    outcome = await ctx.call(
        settle_shop_order,
        ctx.clock,
        ctx.rules,
        settings.tz,
        default_region=settings.default_phone_region,
        delivery=delivery,
        order=order,
        refunds=refunds,
    )
    return answered(shop, outcome)


def answered(shop: str, outcome: ShopOutcome) -> JSONResponse:
    level = logging.WARNING if outcome.status == "conflict" else logging.INFO
    log.log(level, "%s webhook: %s", shop, outcome.summary())
    return JSONResponse(outcome.to_json())


def client_of(host: str | None) -> str:
    return host or "?"
