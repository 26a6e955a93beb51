"""Messages other parts of the bot ask for, as events: a staff reply from Slack, a points adjustment."""

from __future__ import annotations

from datetime import date

from bot.events import Code, CustomerNotice, LocalText, NoticeLine, PointsAdjusted, StaffReplied
from bot.i18n import Translator, translator
from bot.jobs.notices import ALREADY_SENT, NO_CHAT, PERMANENT, claim_notice, release_notice
from bot.outbox import current_delivery
from bot.services.chat_preferences import chat_target
from bot.services.winback import mark_offer
from handlers.telegram.deps import TelegramDeps
from handlers.telegram.outbox import Markup
from handlers.telegram.render import Html, bold, code, esc, fmt, lines, nfmt, plain
from handlers.telegram.surveys import Subscription


def notice_body(t: Translator, business: str, notice: CustomerNotice) -> Html:
    """The notice in the reader's language: one line per catalogue message."""

    def shown(value: object) -> object:
        if isinstance(value, LocalText):
            return value.for_language(t.language)
        if isinstance(value, Code):
            return code(value.text)
        if isinstance(value, date):
            return t.format_date(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return t.format_decimal(value)
        return value

    def line(part: NoticeLine) -> Html:
        values = {"business": business, **{name: shown(value) for name, value in part.values}}
        if part.n is None:
            return fmt(t, part.msgid, **values)
        return nfmt(t, part.msgid, part.n, **values)

    return lines(*(line(part) for part in notice.lines))


def subscriptions(deps: TelegramDeps) -> list[Subscription]:
    outbox = deps.outbox
    ctx = deps.ctx

    async def customer_notice(event: CustomerNotice) -> None:
        """Deliver an automation's notice once per key, under the contact rules (bot/jobs/notices.py)."""
        target = await deps.call(
            chat_target, event.customer_id, default_language=ctx.settings.default_language
        )
        reason: str | None = NO_CHAT
        delivered = False
        if target is not None and not target.unreachable:
            body = notice_body(translator(target.language), deps.business, event)
            reason = await deps.call(
                claim_notice, ctx.clock, ctx.rules, ctx.settings.tz, notice=event, text=plain(body)
            )
            delivery = current_delivery()
            if reason == ALREADY_SENT and delivery is not None and delivery.taken_over:
                reason = None  # claimed by a sender that died around the send: at least once
            if reason is None:
                try:
                    sent = await outbox.send(
                        target.chat_id, body, customer_id=event.customer_id, kind=event.kind, log_it=False
                    )
                except Exception:  # the outbox tries again: the key must be free for that try
                    await deps.call(release_notice, key=event.key)
                    raise
                delivered = sent is not None
        if event.winback_offer_id is not None and (reason is None or reason in PERMANENT | {ALREADY_SENT}):
            # A passing reason (window, cap, 24 hours) leaves the offer queued for the next run.
            sent_before = reason == ALREADY_SENT
            await deps.call(
                mark_offer, ctx.clock, offer_id=event.winback_offer_id, sent=delivered or sent_before
            )

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
            if not event.note.strip():  # an adjustment without a customer-facing note: no empty "Note:"
                return fmt(t, "points.adjusted_no_note", delta=delta), None
            return fmt(t, "points.adjusted", delta=delta, note=event.note), None

        await outbox.to_customer(event.customer_id, compose, kind="points_adjusted")

    return [
        (StaffReplied, staff_replied),
        (PointsAdjusted, points_adjusted),
        (CustomerNotice, customer_notice),
    ]
