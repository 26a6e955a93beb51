"""`/crm points` (admins only, audited) and `/crm merge` (with a confirmation, as it cannot be undone)."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.customer_card import show_customer_card
from bot.services.errors import InvalidInput
from bot.services.loyalty import current_balance
from bot.services.merge import merge_customers
from bot.services.staff_actions import adjust_points_and_notify
from handlers.slack.args import parse_points, take_customer
from handlers.slack.blocks import card as card_blocks
from handlers.slack.blocks.common import display_name
from handlers.slack.cmd_customers import resolve
from handlers.slack.crm_command import Crm, CrmCall
from handlers.slack.deps import SlackDeps, actor
from handlers.slack.replies import UsageError, answering


async def points(call: CrmCall) -> None:
    args = parse_points(call.args)
    customer = await resolve(call, args.customer)
    ctx = call.deps.ctx
    assert customer.id is not None
    done = await ctx.call(
        adjust_points_and_notify,
        ctx.clock,
        ctx.rules,
        customer_id=customer.id,
        delta=args.delta,
        reason=args.reason,
        note=args.note,
        quiet=args.quiet,
        actor=call.actor,
        actor_is_admin=call.role == "admin",
        idempotency_key=f"slack-points:{call.trigger_id or uuid.uuid4().hex}",
    )
    told = "slack.points.quiet" if args.quiet else "slack.points.told"
    await call.reply(
        call.t.format(
            "slack.points.done",
            name=display_name(customer.name, customer.external_id),
            delta=f"{args.delta:+d}",
            balance=done.balance.spendable,
        )
        + " "
        + call.t.format(told)
    )


async def merge(call: CrmCall) -> None:
    first, rest = take_customer(call.args)
    second, extra = take_customer(rest)
    if extra:
        raise UsageError
    keep, duplicate = await resolve(call, first), await resolve(call, second)
    if keep.id == duplicate.id:
        raise InvalidInput("cannot merge a customer into itself")
    ctx = call.deps.ctx
    assert keep.id is not None and duplicate.id is not None
    tz, who = ctx.settings.tz, call.actor
    keep_card = await ctx.call(show_customer_card, ctx.clock, ctx.rules, tz, keep.id, actor=who)
    duplicate_card = await ctx.call(show_customer_card, ctx.clock, ctx.rules, tz, duplicate.id, actor=who)
    await call.reply(
        call.t.format("slack.merge.question"),
        card_blocks.merge_confirmation(call.t, keep_card, duplicate_card),
    )


async def _confirm_merge(
    deps: SlackDeps, client: AsyncWebClient, respond: AsyncRespond, user_id: str, value: str
) -> None:
    _, t = await deps.person(client, user_id)
    ctx = deps.ctx
    keep_id, duplicate_id = (int(part) for part in value.split(":"))

    async def reply(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=True)

    async def run() -> None:
        result = await ctx.call(
            merge_customers, ctx.clock, keep_id=keep_id, duplicate_id=duplicate_id, actor=actor(user_id)
        )
        balance = await ctx.call(current_balance, ctx.clock, keep_id)
        moved = result.moved
        await reply(
            t.format(
                "slack.merge.done",
                merged=display_name(result.merged.name, result.merged.external_id),
                kept=display_name(result.kept.name, result.kept.external_id),
                chats=moved.get("chat_identity", 0),
                interactions=moved.get("interaction", 0),
                purchases=moved.get("purchase", 0),
                surveys=moved.get("survey_response", 0),
                tickets=moved.get("ticket", 0),
                points=balance.spendable,
            )
        )

    await answering(reply, t, run(), what="crm merge")


def register(app: AsyncApp, deps: SlackDeps, crm: Crm) -> None:
    crm.add("points", "slack.usage.points", points)
    crm.add("merge", "slack.usage.merge", merge)

    async def confirmed(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        user_id = str(body["user"]["id"])
        deps.background.spawn(
            _confirm_merge(deps, client, respond, user_id, str(action["value"])), name="merge"
        )

    async def cancelled(
        ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()

        async def say_cancelled() -> None:
            _, t = await deps.person(client, str(body["user"]["id"]))
            await respond(
                text=t.format("slack.merge.cancelled"), response_type="ephemeral", replace_original=True
            )

        deps.background.spawn(say_cancelled(), name="merge-cancel")

    app.action(card_blocks.MERGE_CONFIRM)(confirmed)
    app.action(card_blocks.MERGE_CANCEL)(cancelled)
