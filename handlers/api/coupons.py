"""GET /coupons/{code} and POST /coupons/{code}/redeem: a till checks a coupon and uses it once.

The code is taken as people type it (any case, spaces or dashes, full-width characters): the
service normalises it. Using is the service's one conditional UPDATE, so a till and a Slack
"Mark used" click at the same moment use a coupon once; the loser gets 409 naming why.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Literal

from bot.services.coupons import CouponResult, CouponView, last_valid_day, lookup_coupon, redeem_coupon
from handlers.api.endpoint import LOOKUP_ERRORS, ApiCall, ApiError, Endpoint, Reply
from handlers.api.schemas import CouponDetailOut, CouponOut, CouponRefusedOut

CODE = {"code": "The coupon code as printed or typed (case, spaces and dashes do not matter)."}


def coupon_out(view: CouponView, tz: tzinfo) -> CouponOut:
    return CouponOut(**_common(view, tz))


def coupon_detail_out(view: CouponView, tz: tzinfo) -> CouponDetailOut:
    return CouponDetailOut(
        **_common(view, tz),
        state=view.state,
        customer_id=view.customer_external_id,
        customer_name=view.customer_name,
        used_at=view.used_at,
        used_by=view.used_by,
        voided_at=view.voided_at,
        voided_by=view.voided_by,
    )


def _common(view: CouponView, tz: tzinfo) -> dict[str, object]:
    return {
        "code": view.code,
        "kind": view.kind,
        "item": view.item,
        "title": view.title.default,
        "titles": {"en": view.title.default, **dict(view.title.texts)},
        "issued_at": view.issued_at,
        "expires_at": view.expires_at,
        "last_valid_day": last_valid_day(view.expires_at, tz),
    }


def _found(result: CouponResult) -> CouponView:
    if result.coupon is None:
        raise ApiError(404, f"no coupon has the code {result.code!r}")
    return result.coupon


def refusal_text(view: CouponView, tz: tzinfo) -> str:
    if view.state == "used":
        when = view.used_at.astimezone(tz).isoformat(timespec="minutes") if view.used_at else "?"
        return f"coupon {view.code} was used already, at {when} by {view.used_by}"
    if view.state == "void":
        when = view.voided_at.astimezone(tz).isoformat(timespec="minutes") if view.voided_at else "?"
        return f"coupon {view.code} is void (voided at {when} by {view.voided_by})"
    return f"coupon {view.code} expired: its last valid day was {last_valid_day(view.expires_at, tz)}"


async def show(call: ApiCall) -> Reply:
    result = await call.run(lookup_coupon, call.params["code"])
    return Reply(200, coupon_detail_out(_found(result), call.ctx.settings.tz))


async def redeem(call: ApiCall) -> Reply:
    tz = call.ctx.settings.tz
    result = await call.run(redeem_coupon, call.params["code"])
    view = _found(result)
    if result.done:
        return Reply(200, coupon_detail_out(view, tz))
    reason: Literal["used", "void", "expired"] = (
        "void" if result.refusal == "void" else "expired" if result.refusal == "expired" else "used"
    )
    refused = CouponRefusedOut(
        error=refusal_text(view, tz), reason=reason, coupon=coupon_detail_out(view, tz)
    )
    return Reply(409, refused)


ENDPOINTS = [
    Endpoint(
        "GET",
        "/coupons/{code}",
        "A coupon's state (issued, used, void, expired), whose it is and what it is worth",
        show,
        responses={200: CouponDetailOut},
        errors=LOOKUP_ERRORS,
        params=CODE,
    ),
    Endpoint(
        "POST",
        "/coupons/{code}/redeem",
        "Use a coupon, once: 200 with it now used; 409 naming why not (used: when and by whom, "
        "void, expired: its last valid day)",
        redeem,
        responses={200: CouponDetailOut, 409: CouponRefusedOut},
        errors=LOOKUP_ERRORS,
        params=CODE,
    ),
]
