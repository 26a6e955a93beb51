"""/rewards: the catalogue with a Redeem button per reward → a confirmation → the one-time coupon
(with its last valid day); below the catalogue, the customer's coupons that can still be used.

A tap that can no longer do anything (used, cancelled, unaffordable, someone else's) is answered
with a short notice and changes nothing; two quick taps give one coupon.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from telegram import CallbackQuery, Update
from telegram.ext import CallbackQueryHandler

from bot.i18n import Translator
from bot.services.customer_rewards import RewardUnaffordable, ask_to_redeem, cancel, confirm, reward_catalogue
from bot.services.errors import AlreadyDone, InvalidInput, NotEnoughPoints, UnknownReward
from handlers.telegram.context import ChatContext, TelegramApp
from handlers.telegram.deps import TelegramDeps, notify, query_message
from handlers.telegram.keyboards import (
    REDEEM_ASK_PATTERN,
    REDEEM_CANCEL_PATTERN,
    REDEEM_CONFIRM_PATTERN,
    confirm_redeem_keyboard,
    rewards_keyboard,
)
from handlers.telegram.points import render_coupons
from handlers.telegram.render import Html, code, fmt, lines, nfmt, paragraphs

STALE = (AlreadyDone, UnknownReward, InvalidInput, NotEnoughPoints)
T = TypeVar("T")


def _short_of(t: Translator, error: RewardUnaffordable) -> str:
    missing = max(1, error.needed - error.available)
    return t.ngettext("rewards.not_enough_points", "rewards.not_enough_points.plural", missing).format(
        missing=t.format_decimal(missing), name=error.reward.display_name(t.language)
    )


async def _or_explain(query: CallbackQuery, t: Translator, attempt: Awaitable[T]) -> T | None:
    """What the service answered; None after telling the customer why their tap did nothing."""
    try:
        return await attempt
    except RewardUnaffordable as short:
        await notify(query, _short_of(t, short))
    except STALE:
        await notify(query, t.gettext("error.stale_button"))
    return None


def register(application: TelegramApp, deps: TelegramDeps) -> None:
    ctx = deps.ctx

    async def rewards(update: Update, context: ChatContext) -> None:
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        t = deps.t(context)
        catalogue = await deps.call(reward_catalogue, ctx.clock, ctx.rules, customer_id=customer_id)
        coupons = lines(*render_coupons(t, catalogue.coupons, ctx.settings.tz))
        if not catalogue.rewards:
            await deps.reply(update, context, paragraphs(fmt(t, "rewards.empty"), coupons))
            return
        catalogue_lines = lines(
            nfmt(t, "rewards.header", catalogue.balance, points=t.format_decimal(catalogue.balance)),
            *(
                Html(
                    "• "
                    + nfmt(
                        t,
                        "rewards.item",
                        r.cost,
                        name=r.display_name(t.language),
                        cost=t.format_decimal(r.cost),
                    )
                )
                for r in catalogue.rewards
            ),
        )
        body = paragraphs(catalogue_lines, coupons)
        await deps.reply(update, context, body, rewards_keyboard(t, catalogue.rewards))

    async def ask(update: Update, context: ChatContext) -> None:
        query, message = query_message(update)
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        t = deps.t(context)
        if message is None:
            await notify(query, t.gettext("error.stale_button"))
            return
        reward_code = context.matches[0].group(1) if context.matches else ""
        asked = await _or_explain(
            query,
            t,
            deps.call(
                ask_to_redeem,
                ctx.clock,
                ctx.rules,
                customer_id=customer_id,
                reward_code=reward_code,
                request_key=f"tg:{message.chat_id}:{message.message_id}:{reward_code}",
            ),
        )
        if asked is None:
            return
        await notify(query)
        if not asked.fresh:
            return  # a second quick tap: the confirmation is already on its way
        name = asked.reward.display_name(t.language)
        body = nfmt(
            t,
            "rewards.confirm",
            asked.reward.cost,
            name=name,
            cost=t.format_decimal(asked.reward.cost),
            balance=t.format_decimal(asked.balance_after),
        )
        await deps.reply(update, context, body, confirm_redeem_keyboard(t, asked.redemption_id))

    async def confirmed(update: Update, context: ChatContext) -> None:
        query, message = query_message(update)
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        t = deps.t(context)
        redemption_id = int(context.matches[0].group(1)) if context.matches else 0
        done = await _or_explain(
            query,
            t,
            deps.call(
                confirm,
                ctx.clock,
                ctx.rules,
                ctx.settings.tz,
                customer_id=customer_id,
                redemption_id=redemption_id,
            ),
        )
        if done is None:
            return
        await notify(query)
        body = fmt(
            t,
            "rewards.coupon",
            name=done.reward.display_name(t.language),
            code=code(done.coupon_code),
            date=t.format_date(done.valid_until),
            balance=t.format_decimal(done.balance),
        )
        if message is not None:
            await deps.outbox.edit(
                message.chat_id, message.message_id, body, customer_id=customer_id, kind="coupon"
            )
        else:
            await deps.reply(update, context, body, kind="coupon")

    async def cancelled(update: Update, context: ChatContext) -> None:
        query, message = query_message(update)
        customer_id = await deps.customer_id(update, context)
        if customer_id is None:
            return
        t = deps.t(context)
        redemption_id = int(context.matches[0].group(1)) if context.matches else 0
        try:
            await deps.call(cancel, customer_id=customer_id, redemption_id=redemption_id)
        except STALE:
            await notify(query, t.gettext("error.stale_button"))
            return
        await notify(query)
        if message is not None:
            await deps.outbox.edit(
                message.chat_id, message.message_id, fmt(t, "rewards.cancelled"), customer_id=customer_id
            )

    deps.add_command(application, "rewards", rewards, "help.command.rewards")
    application.add_handler(CallbackQueryHandler(ask, pattern=REDEEM_ASK_PATTERN))
    application.add_handler(CallbackQueryHandler(confirmed, pattern=REDEEM_CONFIRM_PATTERN))
    application.add_handler(CallbackQueryHandler(cancelled, pattern=REDEEM_CANCEL_PATTERN))
