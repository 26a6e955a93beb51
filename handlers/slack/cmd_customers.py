"""`/crm find | log | purchase | refund | link`: looking customers up and recording what happened."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.customer_card import show_customer_card
from bot.services.customers import find_customer, search_customers
from bot.services.errors import CustomerNotFound
from bot.services.links import create_link_code
from bot.services.purchases import refund_purchase
from bot.services.staff_actions import LOG_KINDS, log_staff_interaction, record_staff_purchase
from bot.text.amounts import amount_locale
from handlers.slack.args import customer_before, parse_purchase, take_customer, whole_customer
from handlers.slack.blocks import card as card_blocks
from handlers.slack.blocks.common import display_name, escape, money, sentiment_label
from handlers.slack.crm_command import Crm, CrmCall
from handlers.slack.deps import SlackDeps, actor
from handlers.slack.replies import UsageError, answering
from handlers.slack.telegram_bot import TelegramBotName, deep_link
from storage.models import Customer


async def resolve(call: CrmCall, query: str) -> Customer:
    """The one customer `query` names (id, phone, email, or a name only one customer has)."""
    ctx = call.deps.ctx
    return await ctx.call(find_customer, query, default_region=ctx.settings.default_phone_region)


async def find(call: CrmCall) -> None:
    query = whole_customer(call.args)
    ctx = call.deps.ctx
    matches = await ctx.call(search_customers, query, default_region=ctx.settings.default_phone_region)
    if not matches:
        raise CustomerNotFound(query)
    if len(matches) > 1:
        text = call.t.format("slack.pick.header", query=escape(query), count=len(matches))
        await call.reply(text, card_blocks.pick_list(call.t, query, matches))
        return
    assert matches[0].id is not None
    card = await ctx.call(
        show_customer_card, ctx.clock, ctx.rules, ctx.settings.tz, matches[0].id, actor=call.actor
    )
    await call.reply(
        card.customer.name or card.customer.external_id,
        card_blocks.customer_card(call.t, card, ctx.settings.tz),
    )


async def log(call: CrmCall) -> None:
    query, kind, text = customer_before(call.args, lambda w: w.lower() in LOG_KINDS, max_words=3)
    if not text.strip():
        raise UsageError
    try:
        customer = await resolve(call, query)
    except CustomerNotFound:
        first, rest = take_customer(call.args)  # "C1 she will call back": a kind word inside the text
        if first == query or not rest:
            raise
        customer, kind, text = await resolve(call, first), None, rest
    staff = await call.staff()
    assert customer.id is not None and staff.id is not None
    kind = (kind or "note").lower()
    interaction, _ = await call.deps.ctx.call(
        log_staff_interaction,
        call.deps.ctx.clock,
        customer_id=customer.id,
        staff_id=staff.id,
        kind=kind,
        text=text,
        actor=call.actor,
    )
    label = sentiment_label(call.t, interaction.sentiment)
    mood = " " + call.t.format("slack.log.sentiment", label=label) if label else ""
    name = display_name(customer.name, customer.external_id)
    await call.reply(
        call.t.format("slack.log.done", kind=call.t.format(f"slack.kind.{kind}"), name=name) + mood
    )


async def purchase(call: CrmCall) -> None:
    ctx = call.deps.ctx
    args = parse_purchase(call.args, amount_locale(ctx.settings.default_phone_region))
    customer = await resolve(call, args.customer)
    assert customer.id is not None
    recorded = await ctx.call(
        record_staff_purchase,
        ctx.clock,
        ctx.rules,
        ctx.settings.tz,
        customer_id=customer.id,
        amount=args.amount,
        note=args.note[:500],
        actor=call.actor,
        actor_role=call.role,
    )
    await call.reply(
        call.t.format(
            "slack.purchase.done",
            order=escape(recorded.purchase.order_id),
            name=display_name(customer.name, customer.external_id),
            amount=money(call.t, recorded.purchase.amount),
            points=recorded.points,
        )
    )


async def refund(call: CrmCall) -> None:
    words = call.args.split()
    if len(words) != 1:
        raise UsageError
    ctx = call.deps.ctx
    done = await ctx.call(refund_purchase, ctx.clock, order_id=words[0], actor=call.actor)
    text = call.t.format(
        "slack.refund.done",
        order=escape(done.purchase.order_id),
        amount=money(call.t, done.amount),  # what is left after partial refunds from a till or shop
        points=done.points_reversed,
    )
    if done.points_not_recoverable:
        text += "\n" + call.t.format("slack.refund.shortfall", points=done.points_not_recoverable)
    await call.reply(text)


def link_command(bot_name: TelegramBotName) -> Any:
    async def link(call: CrmCall) -> None:
        customer = await resolve(call, whole_customer(call.args))
        ctx = call.deps.ctx
        assert customer.id is not None
        code = await ctx.call(create_link_code, ctx.clock, customer_id=customer.id, actor=call.actor)
        name = display_name(customer.name, customer.external_id)
        days = (code.expires_at - code.created_at).days
        username = await bot_name.get()
        if username is None:
            text = call.t.format("slack.link.no_telegram", name=name, code=code.code, days=days)
        else:
            text = call.t.format("slack.link.done", name=name, link=deep_link(username, code.code), days=days)
        await call.reply(text)

    return link


def register(app: AsyncApp, deps: SlackDeps, crm: Crm) -> None:
    crm.add("find", "slack.usage.find", find)
    crm.add("log", "slack.usage.log", log)
    crm.add("purchase", "slack.usage.purchase", purchase)
    crm.add("refund", "slack.usage.refund", refund)
    crm.add("link", "slack.usage.link", link_command(TelegramBotName(deps.settings)))

    async def picked(
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        deps.background.spawn(
            _show_card(deps, client, respond, str(body["user"]["id"]), int(action["value"])), name="crm-pick"
        )

    app.action(card_blocks.PICK_ACTION)(picked)


async def _show_card(
    deps: SlackDeps, client: AsyncWebClient, respond: AsyncRespond, user_id: str, customer_id: int
) -> None:
    _, t = await deps.person(client, user_id)
    ctx = deps.ctx

    async def reply(text: str) -> None:
        await respond(text=text, response_type="ephemeral")

    async def show() -> None:
        card = await ctx.call(
            show_customer_card, ctx.clock, ctx.rules, ctx.settings.tz, customer_id, actor=actor(user_id)
        )
        await respond(
            text=card.customer.name or card.customer.external_id,
            blocks=card_blocks.customer_card(t, card, ctx.settings.tz),
            replace_original=True,
        )

    await answering(reply, t, show(), what="crm pick")
