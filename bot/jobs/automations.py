"""The scheduled automations of SPEC §6, as scheduler jobs (all in TIMEZONE, claimed once per period).

- `score` (daily, `[schedule] score_at`, 03:00): scores the day once (skipped if the digest or the
  CLI already did), so the digest and the win-back job share that day's snapshot and its newly
  at-risk customers.
- `post-purchase-survey` (daily, `[schedule] post_purchase_survey_at`, 09:00): queues a trickle
  campaign of post-purchase NPS surveys (bot/jobs/post_purchase.py); the Telegram component's tick
  sends it inside the window.
- `points-expiry` (hourly): writes expired batches to the ledger, and asks for a notice for each
  batch expiring within the notice period that has not had one (key = `notice_key`).
- `birthdays` (hourly): credits today's birthday bonuses (once a year) and asks for the greetings.
- `winback` (hourly): measures conversions, queues one offer per customer newly at risk on today's
  snapshot (episode = the day, variant by hash), and asks for the queued offers to be sent, each
  with its coupon code (issued on the first attempt, the same code on every later one).
- `forget-replays` (daily, 04:30): deletes the claims of Telegram updates and Slack events older
  than any replay could come (bot/services/inbound.py, REPLAY_WINDOW), so `processed_update`
  stays a few days deep instead of growing forever; and prunes the outbox rows delivered more
  than a week ago (given up: a month), bot/services/outbox.py.

Jobs never call Telegram code: they record `CustomerNotice` events (outbox rows); the Telegram
component (handlers/telegram/notifications.py) delivers them from the outbox under the contact
rules of bot/jobs/notices.py, and the job waits up to NOTICE_WAIT for that to tell what went out.
Hourly runs are what make a notice held back by the window, the cap or the 24-hour rule go out
later (a key goes out once). Survey reminders and expiry
stay in the Telegram component's tick. Without Telegram the domain work still happens and the
outcome says nothing could be sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final

from sqlmodel import col, select

from bot.clock import Clock
from bot.config.rules import BusinessRules
from bot.context import AppContext
from bot.events import Code, CustomerNotice, LocalText, NoticeLine
from bot.jobs import notices
from bot.jobs.post_purchase import as_utc, queue_post_purchase_surveys
from bot.jobs.schedule import DailySchedule, HourlySchedule
from bot.jobs.scheduler import ScheduledJob
from bot.outbox import wait_delivered
from bot.services.birthdays import greet_birthdays
from bot.services.contact_rules import in_send_window
from bot.services.coupons import last_valid_day, offer_coupons
from bot.services.digest_queries import entered_at_risk
from bot.services.expiry import batches_needing_notice, expire_points
from bot.services.inbound import FORGET_BATCH, REPLAY_WINDOW, forget_replay_guards
from bot.services.outbox import DELIVERED_KEPT, GAVE_UP_KEPT, PRUNE_BATCH, prune_settled
from bot.services.risk_list import latest_snapshot_day
from bot.services.scoring import ScoringFailed, score_all
from bot.services.winback import mark_offer, queue_offers, record_conversions
from storage.models import WinbackOffer
from storage.uow import UnitOfWork

OFFER_VALID_FOR: Final = timedelta(days=3)
"""A win-back offer still queued (window, cap, 24 hours) after this is given up (marked failed)."""
NOTICE_WAIT: Final = timedelta(seconds=30)
"""How long a job waits for its notices to be delivered before it reports (the rest still go out),
when this process runs the Telegram part."""
FORGET_REPLAYS_AT: Final = time(4, 30)
"""Local time of the daily clean-up of old replay guards (after scoring, before the shop opens)."""


def automation_jobs(ctx: AppContext) -> list[ScheduledJob]:
    tz, times = ctx.settings.tz, ctx.rules.schedule
    return [
        ScheduledJob("score", DailySchedule(times.score_at, tz), score_job),
        ScheduledJob(
            "post-purchase-survey", DailySchedule(times.post_purchase_survey_at, tz), post_purchase_job
        ),
        ScheduledJob("points-expiry", HourlySchedule(5, tz), expiry_job),
        ScheduledJob("birthdays", HourlySchedule(10, tz), birthday_job),
        ScheduledJob("winback", HourlySchedule(15, tz), winback_job),
        ScheduledJob("forget-replays", DailySchedule(FORGET_REPLAYS_AT, tz), forget_replays_job),
    ]


def _today(ctx: AppContext) -> date:
    return ctx.clock.now().astimezone(ctx.settings.tz).date()


def _telegram_on(ctx: AppContext) -> bool:
    return ctx.settings.telegram_bot_token is not None


async def score_job(ctx: AppContext, period: str) -> str:
    day = date.fromisoformat(period)
    if await ctx.call(latest_snapshot_day) == day:
        return f"{day} already scored"
    try:
        run = await ctx.call(score_all, ctx.clock, ctx.rules, ctx.settings.tz, as_of=day)
    except ScoringFailed as exc:  # too little data is an outcome, not a failure to retry every tick
        return f"not scored: {exc}"
    return f"scored {run.customers} customers: {run.at_risk} at risk, {len(run.entered)} newly"


async def post_purchase_job(ctx: AppContext, period: str) -> str:
    summary = await ctx.call(
        queue_post_purchase_surveys, ctx.clock, ctx.rules, ctx.settings.tz, day=date.fromisoformat(period)
    )
    if summary is None:
        return "no post-purchase surveys due"
    skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(summary.skipped.items())) or "none"
    tail = "" if _telegram_on(ctx) else "; Telegram is off, nothing can be sent"
    return (
        f"campaign {summary.campaign_id}: {summary.queued} queued (trickle), skipped: {skipped}, "
        f"not on Telegram {summary.not_on_telegram}{tail}"
    )


async def _deliver(ctx: AppContext, wanted: Sequence[CustomerNotice]) -> str:
    """Publish the notices not sent yet (inside the window); 'sent X of Y' as the outcome's tail."""
    if not wanted:
        return "nothing to send"
    keys = {n.key for n in wanted}
    done = await ctx.call(notices.sent_keys, keys)
    due = [n for n in wanted if n.key not in done]
    if not due:
        return f"all {len(wanted)} sent before"
    if not _telegram_on(ctx):
        return f"Telegram is off: {len(due)} not sent"
    if not in_send_window(ctx.clock.now(), ctx.settings.tz, ctx.rules.contact):
        return f"{len(due)} wait for the send window"
    uow = ctx.uow()
    uow.keep_outbox_ids = True
    await asyncio.to_thread(notices.publish_notices, uow, due)
    # Delivered from the outbox by the Telegram part: when it runs in this process, the outcome
    # waits a while for it, so it can say what went out.
    wait = NOTICE_WAIT.total_seconds() if "telegram" in ctx.outbox.destinations else 0.0
    left = await wait_delivered(ctx, uow.outbox_ids, wait, destination="telegram")
    sent = len(await ctx.call(notices.sent_keys, {n.key for n in due}))
    held = len(due) - sent - left
    tail = f"; {left} still being delivered" if left else ""
    return f"sent {sent} of {len(due)} due ({held} held by contact rules or unreachable{tail})"


async def expiry_job(ctx: AppContext, period: str) -> str:
    expired = await ctx.call(expire_points, ctx.clock)
    batches = await ctx.call(batches_needing_notice, ctx.clock, ctx.rules)
    tz = ctx.settings.tz
    wanted = [
        CustomerNotice(
            customer_id=b.customer_id,
            key=b.notice_key,
            kind=notices.EXPIRY,
            lines=(
                NoticeLine(
                    "expiry.notice",
                    (("points", b.points), ("date", as_utc(b.expires_at).astimezone(tz).date())),
                    n=b.points,
                ),
            ),
            promotional=False,
        )
        for b in batches
    ]
    return f"{expired} points expired; notices: {await _deliver(ctx, wanted)}"


async def birthday_job(ctx: AppContext, period: str) -> str:
    greetings = await ctx.call(greet_birthdays, ctx.clock, ctx.rules, ctx.settings.tz)
    wanted = [
        CustomerNotice(
            customer_id=g.customer_id,
            key=g.key,
            kind=notices.BIRTHDAY,
            lines=(
                NoticeLine("birthday.greeting"),
                *(
                    [NoticeLine("birthday.bonus", (("points", g.bonus_points),), n=g.bonus_points)]
                    if g.bonus_points
                    else []
                ),
            ),
        )
        for g in greetings
    ]
    bonus = sum(1 for g in greetings if g.bonus_points)
    return (
        f"{len(greetings)} birthdays today ({bonus} with a bonus); greetings: {await _deliver(ctx, wanted)}"
    )


async def forget_replays_job(ctx: AppContext, period: str) -> str:
    now = ctx.clock.now()
    before = now - REPLAY_WINDOW
    forgotten = pruned = 0
    while True:  # in batches, each its own transaction
        gone = await ctx.call(forget_replay_guards, before=before)
        forgotten += gone
        if gone < FORGET_BATCH:
            break
    while True:
        gone = await ctx.call(prune_settled, now=ctx.outbox.clock.now())  # the outbox keeps its own time
        pruned += gone
        if gone < PRUNE_BATCH:
            break
    return (
        f"replay claims older than {REPLAY_WINDOW.days} days forgotten: {forgotten}; "
        f"outbox rows delivered over {DELIVERED_KEPT.days} days ago (or given up over "
        f"{GAVE_UP_KEPT.days}) pruned: {pruned}"
    )


@dataclass(frozen=True)
class OpenOffer:
    """A queued offer with the coupon its message carries."""

    offer: WinbackOffer
    code: str
    expires_at: datetime


def open_offers(uow: UnitOfWork, clock: Clock, rules: BusinessRules, tz: tzinfo) -> list[OpenOffer]:
    """Queued offers, oldest first, each with its coupon (issued now if it has none yet); offers
    queued longer than OFFER_VALID_FOR are marked failed (and their coupons voided)."""
    now = clock.now()
    with uow:
        queued = list(
            uow.session.exec(
                select(WinbackOffer).where(WinbackOffer.status == "queued").order_by(col(WinbackOffer.id))
            ).all()
        )
        fresh: list[WinbackOffer] = []
        for offer in queued:
            created = as_utc(offer.created_at)
            if created < now - OFFER_VALID_FOR:
                assert offer.id is not None
                mark_offer(uow, clock, offer_id=offer.id, sent=False)
            else:
                fresh.append(offer)
        coupons = offer_coupons(uow, clock, rules, tz, fresh)
        return [
            OpenOffer(offer, coupons[offer.id].code, coupons[offer.id].expires_at)
            for offer in fresh
            if offer.id in coupons
        ]


def offer_notice(ctx: AppContext, open_offer: OpenOffer) -> CustomerNotice:
    offer = open_offer.offer
    variants = {v.name: v for v in ctx.rules.winback.variants}
    variant = variants.get(offer.variant)
    text = (
        LocalText(
            variant.text,
            tuple((lang, variant.display_text(lang)) for lang in ("en", "zh-Hans", "zh-Hant")),
        )
        if variant is not None
        else LocalText(offer.variant)
    )
    assert offer.id is not None
    until = last_valid_day(open_offer.expires_at, ctx.settings.tz)
    return CustomerNotice(
        customer_id=offer.customer_id,
        key=f"winback-offer:{offer.id}",
        kind=notices.WINBACK,
        lines=(
            NoticeLine("winback.offer", (("offer", text),)),
            NoticeLine("winback.coupon", (("code", Code(open_offer.code)), ("date", until))),
        ),
        winback_offer_id=offer.id,
    )


async def winback_job(ctx: AppContext, period: str) -> str:
    converted = await ctx.call(record_conversions, ctx.clock, ctx.rules)
    day = _today(ctx)
    parts = [f"{converted} new conversions"]
    if await ctx.call(latest_snapshot_day) == day:
        entered = await ctx.call(entered_at_risk, day, ctx.clock.now(), ctx.settings.tz)
        queued = await ctx.call(
            queue_offers,
            ctx.clock,
            ctx.rules,
            customer_ids=[row.customer_id for row in entered],
            episode=day.isoformat(),
        )
        parts.append(f"{len(entered)} newly at risk today, {len(queued)} offers queued")
    else:
        parts.append("today not scored yet")
    offers = await ctx.call(open_offers, ctx.clock, ctx.rules, ctx.settings.tz)
    parts.append(f"offers: {await _deliver(ctx, [offer_notice(ctx, o) for o in offers])}")
    return "; ".join(parts)
