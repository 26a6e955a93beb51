"""Who a survey campaign reaches: segments from the latest scores, and every contact rule of SPEC §3."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import SurveyCampaignStarted
from bot.services.campaigns import campaigns_to_send, claim_batch, start_campaign
from bot.services.chat_preferences import mark_unreachable, set_promotions
from bot.services.customer_chat import OutboundNote, log_outbound
from bot.services.customers import link_chat
from bot.services.errors import InvalidInput
from bot.services.survey_dispatch import mark_sent
from storage.models import Customer, RiskSnapshot
from tests.conftest import make_context
from tests.services.helpers import new_customer


def on_telegram(ctx: AppContext, external_id: str, **fields: object) -> Customer:
    customer = new_customer(ctx, external_id, **fields)
    link_chat(ctx.uow(), ctx.clock, customer, platform="telegram", user_id=external_id, chat_id=external_id)
    return customer


def campaign(ctx: AppContext, **audience: object) -> tuple[int, int, dict[str, int]]:
    uow = ctx.uow()
    summary = start_campaign(uow, ctx.clock, ctx.rules, started_by="test", **audience)  # type: ignore[arg-type]
    assert uow.committed_events == [SurveyCampaignStarted(summary.campaign_id, trickle=summary.trickle)]
    return summary.campaign_id, summary.queued, summary.skipped


def send_all(ctx: AppContext, campaign_id: int) -> int:
    prompts = claim_batch(
        ctx.uow(),
        ctx.clock,
        ctx.rules,
        ctx.settings.tz,
        campaign_id=campaign_id,
        limit=1000,
        default_language="en",
    )
    for prompt in prompts:
        mark_sent(
            ctx.uow(), ctx.clock, ctx.rules, dispatch_id=prompt.dispatch_id, message_id="1", text="NPS?"
        )
    return len(prompts)


def test_everyone_on_telegram_is_queued_and_the_others_are_only_counted(ctx: AppContext) -> None:
    on_telegram(ctx, "A")
    on_telegram(ctx, "B")
    new_customer(ctx, "offline")
    summary = start_campaign(ctx.uow(), ctx.clock, ctx.rules, started_by="test", segment="all")
    assert (summary.queued, summary.skipped, summary.not_on_telegram) == (2, {}, 1)


def test_opted_out_and_unreachable_customers_are_skipped_with_their_reason(ctx: AppContext) -> None:
    on_telegram(ctx, "A")
    stopped, blocked = on_telegram(ctx, "B"), on_telegram(ctx, "C")
    set_promotions(ctx.uow(), ctx.clock, customer_id=stopped.id or 0, allowed=False)
    mark_unreachable(ctx.uow(), ctx.clock, customer_id=blocked.id or 0)
    assert campaign(ctx, segment="all")[1:] == (1, {"opted_out": 1, "unreachable": 1})
    assert campaign(ctx, customer_id=stopped.id)[1:] == (0, {"opted_out": 1})  # never overridden


def test_the_cool_down_holds_for_segments_and_a_single_customer_send_overrides_it(
    ctx: AppContext, clock: ManualClock
) -> None:
    ann = on_telegram(ctx, "A")
    first, _, _ = campaign(ctx, segment="all")
    assert send_all(ctx, first) == 1
    clock.advance(timedelta(days=2))
    assert campaign(ctx, segment="all")[1:] == (0, {"survey_in_progress": 1})
    clock.advance(timedelta(days=30))  # expired, but inside the 90-day cool-down
    assert campaign(ctx, segment="all")[1:] == (0, {"cooldown": 1})
    single = start_campaign(ctx.uow(), ctx.clock, ctx.rules, started_by="test", customer_id=ann.id)
    assert single.queued == 1 and single.last_surveyed_at == clock.now() - timedelta(days=32)
    assert send_all(ctx, single.campaign_id) == 1


def test_no_two_bot_initiated_messages_within_24_hours(ctx: AppContext, clock: ManualClock) -> None:
    ann = on_telegram(ctx, "A")
    log_outbound(ctx.uow(), ctx.clock, [OutboundNote(ann.id or 0, "Happy birthday!", "greeting", True)])
    log_outbound(ctx.uow(), ctx.clock, [OutboundNote(ann.id or 0, "Thanks!", "reply", False)])
    clock.advance(timedelta(hours=23))
    assert campaign(ctx, customer_id=ann.id)[1:] == (0, {"contacted_recently": 1})
    clock.advance(timedelta(hours=2))
    campaign_id, queued, _ = campaign(ctx, segment="all")
    assert queued == 1
    log_outbound(ctx.uow(), ctx.clock, [OutboundNote(ann.id or 0, "Offer!", "offer", True)])
    assert send_all(ctx, campaign_id) == 0  # checked again when it is its turn to go out


def test_segments_come_from_the_latest_scores(ctx: AppContext) -> None:
    with pytest.raises(InvalidInput, match="no customer scores yet"):
        campaign(ctx, segment="at_risk")
    champ, sleepy = on_telegram(ctx, "A"), on_telegram(ctx, "B")
    with ctx.uow() as uow:
        for customer, stage, segment, day in (
            (champ, "active", "Champions", date(2026, 3, 1)),
            (sleepy, "at_risk", "Can't Lose Them", date(2026, 3, 1)),
            (champ, "at_risk", "Can't Lose Them", date(2026, 2, 1)),  # an older snapshot does not count
        ):
            snapshot = RiskSnapshot(
                customer_id=customer.id or 0, as_of=day, frequency=1, recency_weeks=1.0, age_weeks=2.0
            )
            snapshot.stage, snapshot.segment = stage, segment
            uow.session.add(snapshot)
    assert campaign(ctx, segment="at-risk")[1] == 1
    assert campaign(ctx, segment="champions")[1] == 1
    assert campaign(ctx, segment="Can't Lose Them")[1] == 0  # sleepy has a survey queued already
    with pytest.raises(InvalidInput, match=r"unknown segment 'VIP'; use all or one of: .*Champions"):
        campaign(ctx, segment="VIP")


def test_trickle_campaigns_send_only_inside_the_local_window_and_under_the_daily_cap(
    database_url: str, clock: ManualClock
) -> None:
    ctx = make_context(database_url, clock, timezone="Asia/Taipei")
    ctx.rules = ctx.rules.model_copy(
        update={"contact": ctx.rules.contact.model_copy(update={"daily_cap": 3})}
    )
    for n in range(5):
        on_telegram(ctx, f"C{n}")
    trickle, queued, _ = campaign(ctx, segment="all", trickle=True)
    assert queued == 5
    clock.set(clock.now().replace(hour=13))  # 21:00 in Taipei: after the window
    assert send_all(ctx, trickle) == 0
    clock.advance(timedelta(hours=14))  # 11:00 the next day
    assert send_all(ctx, trickle) == 3
    assert send_all(ctx, trickle) == 0  # the day's cap is used up
    assert campaigns_to_send(ctx.uow(), ctx.clock) == [(trickle, True)]
    clock.advance(timedelta(days=1))
    assert send_all(ctx, trickle) == 2
    assert campaigns_to_send(ctx.uow(), ctx.clock) == []
    ctx.close()
