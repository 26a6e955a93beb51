"""The coupon card (`/crm coupon CODE`): whose it is, what it is worth, valid or why not, and the
buttons the viewer may use (Mark used for staff; Void only ever drawn for an admin)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.services.authorization import Role, may
from bot.services.coupons import CouponResult, CouponView, last_valid_day
from handlers.slack.blocks.common import (
    Block,
    actions,
    button,
    context,
    display_name,
    escape,
    fields,
    header,
    mention_actor,
    plain,
    section,
    when,
)

USE = "coupon_use"
VOID = "coupon_void"
SYSTEM = "system"


def moment(t: Translator, at: datetime | None, tz: ZoneInfo) -> str:
    """A date and a time of day in the business's time zone: `Mar 3, 2026 14:05`."""
    if at is None:
        return "—"
    return f"{when(t, at, tz)} {at.astimezone(tz):%H:%M}"


def who(t: Translator, actor: str | None) -> str:
    return t.format("slack.coupon.by_system") if actor == SYSTEM else mention_actor(actor)


def state_line(t: Translator, coupon: CouponView, tz: ZoneInfo) -> str:
    until = t.format_date(last_valid_day(coupon.expires_at, tz), "medium")
    if coupon.state == "used":
        return t.format(
            "slack.coupon.state.used", when=moment(t, coupon.used_at, tz), who=who(t, coupon.used_by)
        )
    if coupon.state == "void":
        return t.format(
            "slack.coupon.state.void", when=moment(t, coupon.voided_at, tz), who=who(t, coupon.voided_by)
        )
    if coupon.state == "expired":
        return t.format("slack.coupon.state.expired", date=until)
    return t.format("slack.coupon.state.valid", date=until)


def outcome_line(t: Translator, result: CouponResult, tz: ZoneInfo, *, actor: str) -> str:
    """What a Mark used / Void press did, or why it did nothing."""
    coupon = result.coupon
    assert coupon is not None
    if result.done:
        if coupon.state == "void":
            return t.format("slack.coupon.done.void")
        return t.format("slack.coupon.done.used", title=escape(coupon.title.for_language(t.language)))
    until = t.format_date(last_valid_day(coupon.expires_at, tz), "medium")
    if result.refusal == "used" and coupon.used_by == actor:
        return t.format("slack.coupon.refused.used_by_you", when=moment(t, coupon.used_at, tz))
    if result.refusal == "used":
        return t.format(
            "slack.coupon.refused.used", when=moment(t, coupon.used_at, tz), who=who(t, coupon.used_by)
        )
    if result.refusal == "void":
        return t.format(
            "slack.coupon.refused.void", when=moment(t, coupon.voided_at, tz), who=who(t, coupon.voided_by)
        )
    return t.format("slack.coupon.refused.expired", date=until)


def void_button(t: Translator, code: str) -> Block:
    element = button(t.format("slack.coupon.void"), VOID, code, style="danger")
    element["confirm"] = {
        "title": plain(t.format("slack.coupon.void_confirm.title"), 100),
        "text": plain(t.format("slack.coupon.void_confirm.text", code=code), 300),
        "confirm": plain(t.format("slack.coupon.void_confirm.yes"), 30),
        "deny": plain(t.format("slack.coupon.void_confirm.no"), 30),
        "style": "danger",
    }
    return element


def coupon_card(
    t: Translator, coupon: CouponView, tz: ZoneInfo, role: Role | None, *, lead: str | None = None
) -> list[Block]:
    """The card; `lead` (what a button press did) goes on top. Buttons only while the coupon is
    valid, and Void only for someone the permission table lets void."""
    label = "slack.coupon.reward" if coupon.kind == "reward" else "slack.coupon.offer"
    name = display_name(coupon.customer_name, coupon.customer_external_id)
    blocks: list[Block] = [section(lead)] if lead else []
    blocks += [
        header(t.format("slack.coupon.header", code=coupon.code)),
        fields(
            [
                (t.format("slack.coupon.customer"), f"{name} · `{escape(coupon.customer_external_id)}`"),
                (t.format(label), escape(coupon.title.for_language(t.language))),
            ]
        ),
        section(state_line(t, coupon, tz)),
        context(t.format("slack.coupon.issued", date=when(t, coupon.issued_at, tz))),
    ]
    if coupon.valid:
        buttons = [button(t.format("slack.coupon.mark_used"), USE, coupon.code, style="primary")]
        if may(role, "coupon.void"):
            buttons.append(void_button(t, coupon.code))
        blocks.append(actions("coupon", *buttons))
    return blocks
