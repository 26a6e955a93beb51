"""/points: spendable and pending points, tier and progress, batches expiring soon, open coupons,
recent activity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from telegram import Update

from bot.i18n import Translator
from bot.services.coupons import CouponView, last_valid_day
from bot.services.customer_points import PointsView, points_view
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import TelegramDeps
from handlers.telegram.render import Html, bold, code, fmt, nfmt

EXPIRY_LOOKAHEAD_DAYS: Final = 30
LEDGER_LABELS: Final = {
    "earn": "ledger.purchase",
    "visit": "ledger.visit",
    "bonus": "ledger.bonus",
    "refund": "ledger.refund",
    "redeem": "ledger.redemption",
    "survey": "ledger.survey",
    "birthday": "ledger.birthday",
    "expire": "ledger.expiry",
    "adjust": "ledger.adjustment",
}


def tier_name(t: Translator, name: str) -> str:
    """The default tiers are translated; a tier from the business's own config keeps its name."""
    msgid = f"tier.{name.lower()}"
    translated = t.gettext(msgid)
    return name if translated == msgid else translated


def _date(t: Translator, moment: datetime, tz: ZoneInfo, style: str = "long") -> str:
    return t.format_date(moment.astimezone(tz).date(), style)


def render_coupons(t: Translator, coupons: Sequence[CouponView], tz: ZoneInfo) -> list[Html]:
    """The customer's coupons that can still be used, each with its code and last valid day
    (nothing at all when there are none)."""
    if not coupons:
        return []
    parts = [fmt(t, "coupons.header")]
    for coupon in coupons:
        item = fmt(
            t,
            "coupons.item",
            title=coupon.title.for_language(t.language),
            code=code(coupon.code),
            date=t.format_date(last_valid_day(coupon.expires_at, tz)),
        )
        parts.append(Html(f"• {item}"))
    return parts


def render_points(t: Translator, summary: PointsView, business: str, tz: ZoneInfo) -> Html:
    balance, tier = summary.balance, summary.tier
    number = t.format_decimal
    parts: list[Html] = [
        bold(fmt(t, "points.header", business=business)),
        nfmt(t, "points.balance", balance.spendable, points=number(balance.spendable)),
    ]
    if balance.pending and balance.pending_until is not None:
        when = _date(t, balance.pending_until, tz)
        parts.append(nfmt(t, "points.pending", balance.pending, points=number(balance.pending), date=when))
    parts.append(fmt(t, "points.tier", tier=tier_name(t, tier.tier.name)))
    if tier.next_tier is not None and tier.to_next is not None:
        next_name = tier_name(t, tier.next_tier.name)
        parts.append(nfmt(t, "points.next_tier", tier.to_next, points=number(tier.to_next), tier=next_name))
    else:
        parts.append(fmt(t, "points.top_tier"))
    if balance.expiring:
        parts.append(Html(""))
        parts.append(fmt(t, "points.expiring_header", days=EXPIRY_LOOKAHEAD_DAYS))
        for expires_at, amount in balance.expiring:
            batch = nfmt(
                t, "points.expiring_batch", amount, points=number(amount), date=_date(t, expires_at, tz)
            )
            parts.append(Html(f"• {batch}"))
    coupons = render_coupons(t, summary.coupons, tz)
    if coupons:
        parts.append(Html(""))
        parts.extend(coupons)
    parts.append(Html(""))
    parts.append(fmt(t, "points.history_header"))
    if not summary.recent:
        parts.append(fmt(t, "points.no_history"))
    for entry in summary.recent:
        label = t.gettext(LEDGER_LABELS.get(entry.kind, "ledger.other"))
        delta = f"+{number(entry.delta)}" if entry.delta > 0 else f"-{number(-entry.delta)}"
        when = _date(t, entry.created_at, tz, "medium")
        parts.append(fmt(t, "points.ledger_entry", date=when, delta=delta, reason=label))
    return Html("\n".join(parts))


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx

    async def points(update: Update, context: ChatContext) -> None:
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        tz = ctx.settings.tz
        summary = await deps.call(points_view, ctx.clock, ctx.rules, customer_id, tz)
        await deps.reply(update, context, render_points(deps.t(context), summary, deps.business, tz))

    deps.add_command(application, "points", points, "help.command.points")
