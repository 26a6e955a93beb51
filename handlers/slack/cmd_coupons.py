"""`/crm coupon CODE` (staff): the coupon card, and its **Mark used** (staff) and **Void** (admins)
buttons. The gate (handlers/slack/access.py) decides who may press which before this runs; the
coupon service uses a coupon once, so a double click or two people at once change it once."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import Translator
from bot.services.authorization import Role
from bot.services.coupons import CouponResult, lookup_coupon, redeem_coupon, void_coupon
from handlers.slack.access import role_in
from handlers.slack.blocks import coupon as blocks
from handlers.slack.blocks.common import clip, escape
from handlers.slack.crm_command import Crm, CrmCall
from handlers.slack.deps import SlackDeps, actor
from handlers.slack.replies import UsageError, answering

TYPED_LIMIT = 40
"""How much of an unknown code is echoed back."""


def _unknown(t: Translator, result: CouponResult) -> str:
    return t.format("slack.coupon.unknown", code=escape(clip(result.code, TYPED_LIMIT)))


async def coupon(call: CrmCall) -> None:
    typed = call.args.strip()
    if not typed:
        raise UsageError
    ctx = call.deps.ctx
    result = await ctx.call(lookup_coupon, ctx.clock, typed, actor=call.actor)
    if result.coupon is None:
        await call.reply(_unknown(call.t, result))
        return
    tz = ctx.settings.tz
    card = blocks.coupon_card(call.t, result.coupon, tz, call.role)
    summary = blocks.state_line(call.t, result.coupon, tz)
    await call.reply(f"{call.t.format('slack.coupon.header', code=result.code)}: {summary}", card)


async def _press(
    deps: SlackDeps,
    client: AsyncWebClient,
    respond: AsyncRespond,
    user_id: str,
    role: Role | None,
    action_id: str,
    code: str,
) -> None:
    _, t = await deps.person(client, user_id)
    ctx, who = deps.ctx, actor(user_id)
    tz = ctx.settings.tz

    async def say(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    async def run() -> None:
        if action_id == blocks.VOID:
            result = await ctx.call(void_coupon, ctx.clock, code, actor=who, actor_role=role)
        else:
            result = await ctx.call(redeem_coupon, ctx.clock, code, actor=who)
        if result.coupon is None:
            await say(_unknown(t, result))
            return
        lead = blocks.outcome_line(t, result, tz, actor=who)
        await respond(
            text=lead,
            blocks=blocks.coupon_card(t, result.coupon, tz, role, lead=lead),
            response_type="ephemeral",
            replace_original=True,
        )

    await answering(say, t, run(), what=f"coupon {action_id}")


def register(app: AsyncApp, deps: SlackDeps, crm: Crm) -> None:
    crm.add("coupon", "slack.usage.coupon", coupon)

    async def pressed(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        action_id, code = str(action["action_id"]), str(action.get("value") or "")
        deps.background.spawn(
            _press(deps, client, respond, str(body["user"]["id"]), role_in(context), action_id, code),
            name=action_id,
        )

    app.action(blocks.USE)(pressed)
    app.action(blocks.VOID)(pressed)
