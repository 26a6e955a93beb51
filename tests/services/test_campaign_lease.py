"""One sender per survey campaign: the lease, its takeover, and what a takeover sends again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.services.campaign_lease import IN_DOUBT, LEASE, LeaseLost, release_lease, renew_lease, take_lease
from bot.services.campaigns import campaign_report, campaigns_to_send, claim_batch, start_campaign
from bot.services.customers import link_chat
from bot.services.errors import InvalidInput
from bot.services.survey_dispatch import mark_in_doubt, mark_sent
from storage.models import SurveyDispatch
from tests.services.helpers import new_customer


def campaign_of(ctx: AppContext, customers: int, *, sender_id: str | None = None) -> int:
    for n in range(customers):
        customer = new_customer(ctx, f"C{n}")
        link_chat(ctx.uow(), ctx.clock, customer, platform="telegram", user_id=f"u{n}", chat_id=f"u{n}")
    summary = start_campaign(
        ctx.uow(), ctx.clock, ctx.rules, started_by="test", segment="all", sender_id=sender_id
    )
    return summary.campaign_id


def claim(ctx: AppContext, campaign_id: int, sender_id: str, limit: int) -> list[int]:
    prompts = claim_batch(
        ctx.uow(),
        ctx.clock,
        ctx.rules,
        ctx.settings.tz,
        campaign_id=campaign_id,
        limit=limit,
        default_language="en",
        sender_id=sender_id,
    )
    return [p.dispatch_id for p in prompts]


def statuses(ctx: AppContext, campaign_id: int) -> dict[int, tuple[str, str | None]]:
    with ctx.uow() as uow:
        rows = uow.session.exec(
            select(SurveyDispatch)
            .where(SurveyDispatch.campaign_id == campaign_id)
            .order_by(col(SurveyDispatch.id))
        ).all()
        return {row.id or 0: (row.status, row.skip_reason) for row in rows}


def test_a_campaign_started_for_a_sender_is_that_senders_until_its_lease_expires(
    ctx: AppContext, clock: ManualClock
) -> None:
    campaign_id = campaign_of(ctx, 3, sender_id="cli-1")
    assert campaigns_to_send(ctx.uow(), ctx.clock) == []  # no other process grabs a fresh campaign
    other = take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="bot-2")
    assert (other.acquired, other.running, other.holder) == (False, True, "cli-1")
    assert other.until == clock.now() + LEASE
    clock.advance(LEASE - timedelta(seconds=1))
    assert renew_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="cli-1")
    clock.advance(timedelta(seconds=2))  # renewed: still held
    assert not take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="bot-2").acquired
    clock.advance(LEASE)
    assert campaigns_to_send(ctx.uow(), ctx.clock) == [(campaign_id, False)]
    taken = take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="bot-2")
    assert (taken.acquired, taken.holder, taken.in_doubt) == (True, "bot-2", 0)
    assert not renew_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="cli-1")


def test_a_takeover_sends_again_only_what_the_stopped_sender_left_in_doubt(
    ctx: AppContext, clock: ManualClock
) -> None:
    campaign_id = campaign_of(ctx, 6, sender_id="cli-1")
    first, second, third = claim(ctx, campaign_id, "cli-1", 3)
    mark_sent(ctx.uow(), ctx.clock, ctx.rules, dispatch_id=first, message_id="1", text="NPS?")
    mark_in_doubt(ctx.uow(), dispatch_id=second, reason="network")
    # cli-1 dies with `second` and `third` claimed: nobody else may touch them while its lease holds
    assert not take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="cli-2").acquired
    assert statuses(ctx, campaign_id)[third] == ("sending", None)
    taken = take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="cli-2", holder_gone="cli-1")
    assert taken.acquired and taken.in_doubt == 2
    rows = statuses(ctx, campaign_id)
    assert [rows[d] for d in (first, second, third)] == [("sent", None), *[("queued", IN_DOUBT)] * 2]
    with pytest.raises(LeaseLost):
        claim(ctx, campaign_id, "cli-1", 1)
    again = claim(ctx, campaign_id, "cli-2", 10)
    assert sorted(again) == sorted(d for d in rows if d != first)
    for dispatch_id in again:
        mark_sent(ctx.uow(), ctx.clock, ctx.rules, dispatch_id=dispatch_id, message_id="2", text="NPS?")
    report = campaign_report(ctx.uow(), ctx.clock, campaign_id=campaign_id)
    assert (report.status, report.counts, report.resent, report.in_doubt) == ("done", {"sent": 6}, 2, 0)


def test_renewing_its_own_lease_requeues_nothing_and_a_release_frees_the_campaign(
    ctx: AppContext,
) -> None:
    campaign_id = campaign_of(ctx, 2, sender_id="cli-1")
    (claimed, _) = claim(ctx, campaign_id, "cli-1", 2)
    again = take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="cli-1")
    assert again.acquired and again.in_doubt == 0  # its own surveys in flight are not in doubt
    assert statuses(ctx, campaign_id)[claimed] == ("sending", None)
    release_lease(ctx.uow(), campaign_id=campaign_id, sender_id="bot-9")  # not the holder: no effect
    assert not take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="bot-2").acquired
    mark_in_doubt(ctx.uow(), dispatch_id=claimed, reason="network")
    release_lease(ctx.uow(), campaign_id=campaign_id, sender_id="cli-1")
    report = campaign_report(ctx.uow(), ctx.clock, campaign_id=campaign_id)
    assert (report.status, report.in_doubt, report.skip_reasons) == ("running", 2, {"network": 1})
    assert campaigns_to_send(ctx.uow(), ctx.clock) == [(campaign_id, False)]
    taken = take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="bot-2")
    assert taken.acquired and taken.in_doubt == 2


def test_a_finished_or_unknown_campaign_has_no_lease_to_take(ctx: AppContext) -> None:
    campaign_id = campaign_of(ctx, 1)  # queued by the bot itself: no sender yet
    assert take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="cli-1").acquired
    for dispatch_id in claim(ctx, campaign_id, "cli-1", 5):
        mark_sent(ctx.uow(), ctx.clock, ctx.rules, dispatch_id=dispatch_id, message_id="1", text="NPS?")
    release_lease(ctx.uow(), campaign_id=campaign_id, sender_id="cli-1")
    assert campaign_report(ctx.uow(), ctx.clock, campaign_id=campaign_id).status == "done"
    done = take_lease(ctx.uow(), ctx.clock, campaign_id=campaign_id, sender_id="cli-2")
    assert (done.acquired, done.running) == (False, False)
    with pytest.raises(InvalidInput, match="no survey campaign 99"):
        take_lease(ctx.uow(), ctx.clock, campaign_id=99, sender_id="cli-2")
