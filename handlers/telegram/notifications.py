"""Messages other parts of the bot ask for, as events: a staff reply from Slack, a points adjustment."""

from __future__ import annotations

from bot.events import PointsAdjusted, StaffReplied
from bot.i18n import Translator
from handlers.telegram.deps import TelegramDeps
from handlers.telegram.outbox import Markup
from handlers.telegram.render import Html, bold, esc, fmt, lines
from handlers.telegram.surveys import Subscription


def subscriptions(deps: TelegramDeps) -> list[Subscription]:
    outbox = deps.outbox

    async def staff_replied(event: StaffReplied) -> None:
        def compose(t: Translator) -> tuple[Html, Markup | None]:
            prefix = bold(fmt(t, "staff.reply_prefix", business=deps.business))
            return lines(prefix, esc(event.text)), None

        # reply_to_customer logged it on the timeline already
        await outbox.to_customer(event.customer_id, compose, kind="staff_reply", log_it=False)

    async def points_adjusted(event: PointsAdjusted) -> None:
        def compose(t: Translator) -> tuple[Html, Markup | None]:
            delta = (
                f"+{t.format_decimal(event.delta)}"
                if event.delta > 0
                else f"-{t.format_decimal(-event.delta)}"
            )
            return fmt(t, "points.adjusted", delta=delta, note=event.note), None

        await outbox.to_customer(event.customer_id, compose, kind="points_adjusted")

    return [(StaffReplied, staff_replied), (PointsAdjusted, points_adjusted)]
